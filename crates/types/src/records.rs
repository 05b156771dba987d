//! Buckets, multipart uploads, access keys and cluster nodes.

use crate::{
    Acl, Checksum, ChecksumAlgorithm, ChecksumType, ContentHeaders, NodeId, Segment, StorageClass,
    UnixMillis,
};
use serde::{Deserialize, Serialize};

/// A bucket. Configuration sub-resources (policy, ACL, CORS, ...) are added as
/// optional fields so that older records still decode.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketRecord {
    pub name: String,
    /// Access key id of the principal that created the bucket.
    pub owner: String,
    pub created: UnixMillis,
    /// The LocationConstraint given at creation (the region).
    pub region: String,
    /// Grants besides the owner's.
    #[serde(default)]
    pub acl: Acl,
    /// The bucket policy document (JSON), as given.
    #[serde(default)]
    pub policy: Option<String>,
    /// The CORS configuration (CORSConfiguration XML), validated.
    #[serde(default)]
    pub cors: Option<String>,
    /// The website configuration (WebsiteConfiguration XML), validated.
    #[serde(default)]
    pub website: Option<String>,
    /// Which events go to which topics.
    #[serde(default)]
    pub notification: Option<crate::events::NotificationConfig>,
    /// Which objects are copied to which buckets.
    #[serde(default)]
    pub replication: Option<crate::replication::ReplicationConfig>,
}

impl BucketRecord {
    /// A new bucket with no configuration besides its owner.
    pub fn new(name: &str, owner: &str, created: UnixMillis, region: &str) -> BucketRecord {
        BucketRecord {
            name: name.to_string(),
            owner: owner.to_string(),
            created,
            region: region.to_string(),
            acl: crate::CannedAcl::private(owner),
            policy: None,
            cors: None,
            website: None,
            notification: None,
            replication: None,
        }
    }
}

/// An access key: a principal that can sign requests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKey {
    pub access_key_id: String,
    pub secret_key: String,
    pub name: String,
    pub created: UnixMillis,
}

/// A multipart upload in progress.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadRecord {
    pub upload_id: String,
    pub bucket: String,
    pub key: String,
    pub initiated: UnixMillis,
    pub owner: String,
    pub storage_class: StorageClass,
    pub content: ContentHeaders,
    pub user_meta: Vec<(String, String)>,
    /// `x-amz-checksum-algorithm` given at creation, if any.
    pub checksum_algorithm: Option<ChecksumAlgorithm>,
    #[serde(default)]
    pub checksum_type: Option<ChecksumType>,
    /// The ACL the completed object gets.
    #[serde(default)]
    pub acl: Acl,
    /// The upload writes a replica (`x-amz-replication-status: REPLICA`
    /// at creation, from a replication worker).
    #[serde(default)]
    pub replica: bool,
}

/// An uploaded part of a multipart upload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartRecord {
    pub number: u32,
    pub size: u64,
    /// Hex MD5 of the part, without quotes.
    pub etag: String,
    pub last_modified: UnixMillis,
    pub checksum: Option<Checksum>,
    pub segments: Vec<Segment>,
}

/// Health of a node as the cluster sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum NodeState {
    #[default]
    Up,
    Suspect,
    Down,
    /// Retired by an operator (`tessera admin node remove`): it gets no new
    /// shards, repair rebuilds its shards on other nodes, and its own
    /// heartbeats no longer make it `Up`. While it still runs, reads may use
    /// its shards (after those on live nodes).
    Removed,
}

impl NodeState {
    /// The lower-case name the admin API and CLI show.
    pub fn as_str(&self) -> &'static str {
        match self {
            NodeState::Up => "up",
            NodeState::Suspect => "suspect",
            NodeState::Down => "down",
            NodeState::Removed => "removed",
        }
    }
}

/// A storage node in the cluster map.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    pub id: NodeId,
    /// gRPC address, `host:port`.
    pub addr: String,
    /// Failure domain.
    pub zone: String,
    pub capacity_bytes: u64,
    pub state: NodeState,
    pub last_heartbeat: UnixMillis,
}
