//! The language of the metadata cluster: commands (replicated through Raft and
//! applied by the state machine) and queries (answered from the state
//! machine). Both travel as [`crate::codec`]-encoded payloads.
//!
//! Application-level outcomes such as "bucket not empty" are part of the
//! committed result, so every replica computes the same answer.

use crate::events::{EventName, NotificationConfig, OutboxEvent, OutboxKind, Topic};
use crate::replication::{Remote, StatusUpdate};
use crate::{
    AccessKey, BlockId, BlockRef, BucketRecord, NodeId, NodeInfo, NodeState, ObjectRecord,
    ObjectSummary, OwnedBlock, PartRecord, ShardRef, UploadRecord,
};
use crate::{Acl, UnixMillis};
use serde::{Deserialize, Serialize};

/// A condition a write must meet, checked atomically in the state machine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Precondition {
    #[default]
    None,
    /// `If-None-Match: *`: the key must not exist.
    NotExists,
    /// `If-Match: *`: the key must exist.
    Exists,
    /// `If-Match: etag` (unquoted): the current object's ETag must be this.
    ETagMatches(String),
}

/// A state-changing request. Every variant is applied atomically.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Command {
    /// Fails with `BucketAlreadyOwnedByYou` if `bucket.owner` owns it, else
    /// `BucketAlreadyExists`.
    CreateBucket {
        bucket: BucketRecord,
    },
    /// Fails with `NoSuchBucket` or `BucketNotEmpty` (objects present).
    /// Multipart uploads still in progress are aborted with the bucket.
    DeleteBucket {
        name: String,
    },
    /// Creates or replaces `bucket/key`. The replaced version's blocks are
    /// queued for GC in the same command. Replies `Object(previous)`.
    PutObject {
        bucket: String,
        key: String,
        object: ObjectRecord,
        precondition: Precondition,
        /// The event the write is (Put, Copy or Post), for notifications.
        #[serde(default = "put_event")]
        event: EventName,
    },
    /// Removes `bucket/key` if present (queueing its blocks for GC).
    /// Replies `Object(previous)`.
    DeleteObject {
        bucket: String,
        key: String,
        /// When the gateway took the request (the event time).
        #[serde(default)]
        now: UnixMillis,
    },
    /// Removes every listed key of `bucket` that exists, in one commit
    /// (DeleteObjects). Replies `Done`.
    DeleteObjects {
        bucket: String,
        keys: Vec<String>,
        #[serde(default)]
        now: UnixMillis,
    },
    CreateUpload {
        upload: UploadRecord,
    },
    /// Stores or replaces a part (queueing a replaced part's blocks for GC).
    /// Fails with `NoSuchUpload`.
    PutPart {
        bucket: String,
        key: String,
        upload_id: String,
        part: PartRecord,
    },
    /// Atomically: checks that the upload exists and that each part listed in
    /// `parts` is stored with that ETag (else `InvalidPart`), writes `object`
    /// to `bucket/key` (checking `precondition`), removes the upload and all
    /// its parts, and queues for GC the blocks of parts not listed and of the
    /// replaced object version. Replies `Object(previous)`.
    CompleteUpload {
        bucket: String,
        key: String,
        upload_id: String,
        parts: Vec<(u32, String)>,
        object: ObjectRecord,
        precondition: Precondition,
    },
    /// Removes the upload and queues its parts' blocks for GC. Fails with
    /// `NoSuchUpload`.
    AbortUpload {
        bucket: String,
        key: String,
        upload_id: String,
    },
    /// Fails with `AccessKeyExists`.
    CreateAccessKey {
        key: AccessKey,
    },
    /// Fails with `NoSuchAccessKey`.
    DeleteAccessKey {
        access_key_id: String,
    },
    /// Adds or updates a storage node in the cluster map (a storage node's
    /// start and heartbeat). A node recorded as `Removed` stays `Removed`:
    /// only its address, zone, capacity and heartbeat are updated.
    RegisterNode {
        node: NodeInfo,
    },
    /// Sets the state of a storage node in the cluster map (`Removed`:
    /// retire it). Fails with `NoSuchNode`.
    SetNodeState {
        id: NodeId,
        state: NodeState,
    },
    /// Removes GC queue entries whose blocks have been freed.
    AckGc {
        seqs: Vec<u64>,
    },
    /// Registers a notification topic. Fails with `TopicExists`.
    CreateTopic {
        topic: Topic,
    },
    /// Removes a topic (its undelivered events go with it). Fails with
    /// `NoSuchTopic`.
    DeleteTopic {
        name: String,
    },
    /// Leases up to `max` deliverable entries of `kind` to `worker` until
    /// `now + lease_ms`, in outbox order, never an entry whose key has an
    /// earlier entry still undelivered for the same target (per-key order).
    /// Replies `Events`.
    LeaseEvents {
        worker: String,
        now: UnixMillis,
        lease_ms: u64,
        max: u32,
        #[serde(default)]
        kind: OutboxKind,
    },
    /// Extends `worker`'s leases of the listed entries until `until` (a
    /// long delivery in progress). Entries leased by another worker since
    /// are left alone. Replies `Done`.
    RenewLeases {
        worker: String,
        seqs: Vec<u64>,
        until: UnixMillis,
    },
    /// Removes delivered events.
    AckEvents {
        seqs: Vec<u64>,
    },
    /// Records a failed delivery: frees the lease and counts the attempt;
    /// after `max_attempts` the event is kept as failed (not leased again
    /// until replayed).
    RetryEvents {
        seqs: Vec<u64>,
        error: String,
        max_attempts: u32,
    },
    /// Makes failed entries deliverable again: those matching every filter
    /// given (a topic's events, one kind, one source bucket).
    ReplayEvents {
        topic: Option<String>,
        #[serde(default)]
        kind: Option<OutboxKind>,
        #[serde(default)]
        bucket: Option<String>,
    },
    /// Records where source objects stand in replication: each update
    /// applies only if the object is still the version it names. Replies
    /// `Done`.
    SetReplicationStatus {
        updates: Vec<StatusUpdate>,
    },
    /// Queues a replication task for up to `max` objects of `bucket` after
    /// key `after`, each to the destination of the rule that selects it
    /// (replicas excepted), and marks them PENDING; on the first page
    /// (`after` none) also replays the bucket's failed replication tasks.
    /// Fails with `NoSuchBucket`, or `Invalid` when the bucket has no
    /// replication configuration. Replies `Resync`.
    ResyncReplication {
        bucket: String,
        after: Option<String>,
        max: u32,
        now: UnixMillis,
    },
    /// Registers a remote replication endpoint. Fails with `RemoteExists`
    /// (the name, or another remote for the same bucket).
    CreateRemote {
        remote: Remote,
    },
    /// Fails with `NoSuchRemote`.
    DeleteRemote {
        name: String,
    },
    /// Sets one configuration sub-resource of a bucket. Fails with
    /// `NoSuchBucket`.
    SetBucketConfig {
        bucket: String,
        config: BucketConfig,
    },
    /// Replaces the ACL of the current version of `bucket/key`. Fails with
    /// `NoSuchBucket` or `NoSuchKey`.
    SetObjectAcl {
        bucket: String,
        key: String,
        acl: Acl,
    },
    /// Records a repaired block (rebuilt shards on new nodes) in the record
    /// that owns it, found through the block index: an object, or a part of
    /// an upload in progress. Dequeues the block from the repair queue when
    /// every shard is present. Nothing changes, and the command fails, when
    /// no record owns the block any more (`NoSuchBlock`: it was freed), when
    /// the stored block's profile, size or shard count differ from `block`'s,
    /// or when `expected` is given and the stored shards are no longer those
    /// (`BlockMismatch`: another repair got there first). Shards rebuilt for
    /// a refused update are left to the orphan sweep. Replies `Done`.
    ///
    /// Entries of older releases, which named the object, decode with
    /// `expected: None` (their `bucket` and `key` are ignored).
    UpdateBlock {
        block: BlockRef,
        /// The shards the repair read and rebuilt from.
        #[serde(default)]
        expected: Option<Vec<Option<ShardRef>>>,
    },
    /// Commands that reached the leader together, in one log entry (group
    /// commit: one log write and fsync for all of them). They apply in
    /// order, each atomically and with its own outcome, exactly as if each
    /// were an entry of its own. Replies `Batch` with their results, in
    /// order. Never nested.
    Batch {
        commands: Vec<Command>,
    },
}

/// A bucket configuration sub-resource and its new value (`None`: delete).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BucketConfig {
    Replication(Option<crate::replication::ReplicationConfig>),
    /// Setting a configuration queues an `s3:TestEvent` to each of its
    /// topics; every topic must exist (`NoSuchTopic`).
    Notification(Option<NotificationConfig>),
    Acl(Acl),
    Policy(Option<String>),
    Cors(Option<String>),
    Website(Option<String>),
}

/// The successful outcome of a [`Command`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CommandReply {
    Done,
    /// Leased events.
    Events(Vec<OutboxEvent>),
    /// The object version that was replaced or removed, if there was one.
    Object(Option<Box<ObjectRecord>>),
    /// One page of a resync: tasks queued, and the key to continue after
    /// (none: done).
    Resync {
        queued: u64,
        next: Option<String>,
    },
    /// The results of a `Batch`'s commands, in order.
    Batch(Vec<CommandResult>),
}

/// A read of the state machine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Query {
    GetBucket {
        name: String,
    },
    ListBuckets,
    GetObject {
        bucket: String,
        key: String,
    },
    ListObjects(ListObjectsQuery),
    GetUpload {
        bucket: String,
        key: String,
        upload_id: String,
    },
    /// Parts with number > `part_number_marker`, at most `max_parts`.
    ListParts {
        bucket: String,
        key: String,
        upload_id: String,
        part_number_marker: u32,
        max_parts: u32,
    },
    ListUploads(ListUploadsQuery),
    GetAccessKey {
        access_key_id: String,
    },
    ListAccessKeys,
    ListNodes,
    /// The oldest GC queue entries, at most `max`.
    ListGc {
        max: u32,
    },
    /// The current `BlockRef` of each listed block id, in order (`None` for
    /// a block no record holds): the orphan sweep's lookup.
    GetBlocks {
        ids: Vec<BlockId>,
    },
    /// Blocks in id order after `after` (exclusive), at most `max`, with
    /// their owners: the repair and scrub workers' walk over all data,
    /// parts of uploads in progress included.
    ScanBlocks {
        after: Option<BlockId>,
        max: u32,
    },
    /// Blocks of the repair queue (degraded blocks) in id order after
    /// `after` (exclusive), at most `max`.
    ListRepairQueue {
        after: Option<BlockId>,
        max: u32,
    },
    /// How many blocks the repair queue holds.
    RepairQueueLength,
    ListTopics,
    GetTopic {
        name: String,
    },
    /// How many outbox entries wait, how many failed for good, and the
    /// time of the oldest waiting one: of one kind, or one source bucket's,
    /// or all.
    EventStats {
        #[serde(default)]
        kind: Option<OutboxKind>,
        #[serde(default)]
        bucket: Option<String>,
    },
    /// Outbox entries after `after`, in order (failed ones only, or all;
    /// of one kind, or one source bucket's, or all).
    ListEvents {
        after: Option<u64>,
        max: u32,
        failed_only: bool,
        #[serde(default)]
        kind: Option<OutboxKind>,
        #[serde(default)]
        bucket: Option<String>,
    },
    ListRemotes,
}

/// An ordered range scan of one bucket's keys with delimiter roll-up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ListObjectsQuery {
    pub bucket: String,
    pub prefix: String,
    /// Roll keys sharing `prefix + ... + delimiter` into one common prefix.
    pub delimiter: Option<String>,
    /// Only keys (and common prefixes) strictly greater than this.
    pub start_after: Option<String>,
    /// Entries (keys plus common prefixes) to return at most; 0 is allowed.
    pub max_keys: u32,
}

/// One entry of a listing, in key order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ListEntry {
    Object { key: String, summary: ObjectSummary },
    CommonPrefix(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ListObjectsPage {
    pub entries: Vec<ListEntry>,
    /// More entries follow the last one returned.
    pub is_truncated: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ListUploadsQuery {
    pub bucket: String,
    pub prefix: String,
    pub delimiter: Option<String>,
    /// Uploads for keys greater than this, or for this key with an upload id
    /// greater than `upload_id_marker`.
    pub key_marker: Option<String>,
    pub upload_id_marker: Option<String>,
    pub max_uploads: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UploadEntry {
    Upload(UploadRecord),
    CommonPrefix(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ListUploadsPage {
    pub entries: Vec<UploadEntry>,
    pub is_truncated: bool,
}

/// One GC queue entry: blocks whose shards must be deleted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GcEntry {
    pub seq: u64,
    pub blocks: Vec<BlockRef>,
}

/// The successful outcome of a [`Query`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum QueryReply {
    Bucket(Option<BucketRecord>),
    Buckets(Vec<BucketRecord>),
    Object(Option<Box<ObjectRecord>>),
    Objects(ListObjectsPage),
    Upload(Option<UploadRecord>),
    /// Parts in number order, and whether more follow.
    Parts {
        parts: Vec<PartRecord>,
        is_truncated: bool,
    },
    Uploads(ListUploadsPage),
    AccessKey(Option<AccessKey>),
    AccessKeys(Vec<AccessKey>),
    Nodes(Vec<NodeInfo>),
    Gc(Vec<GcEntry>),
    /// One entry per id asked for, in order.
    Blocks(Vec<Option<BlockRef>>),
    /// Blocks with their owners, in id order.
    OwnedBlocks(Vec<OwnedBlock>),
    Count(u64),
    Topics(Vec<Topic>),
    Topic(Option<Topic>),
    Events(Vec<OutboxEvent>),
    EventStats(EventStats),
    Remotes(Vec<Remote>),
}

/// The outbox at a glance.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventStats {
    /// Events not yet delivered (failed ones excluded).
    pub pending: u64,
    /// Events given up on, waiting for an operator's replay.
    pub failed: u64,
    /// The change time of the oldest pending event.
    pub oldest: Option<UnixMillis>,
}

impl EventStats {
    /// Age of the oldest pending event at `now`, in seconds (0 when none
    /// waits).
    pub fn lag_seconds(&self, now: UnixMillis) -> f64 {
        self.oldest
            .map(|t| (now - t).max(0) as f64 / 1000.0)
            .unwrap_or(0.0)
    }
}

/// Application-level failures, decided deterministically by the state machine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum MetaError {
    #[error("no such bucket")]
    NoSuchBucket,
    #[error("bucket already exists")]
    BucketAlreadyExists,
    #[error("bucket already owned by you")]
    BucketAlreadyOwnedByYou,
    #[error("bucket not empty")]
    BucketNotEmpty,
    #[error("no such upload")]
    NoSuchUpload,
    #[error("no such key")]
    NoSuchKey,
    #[error("topic exists")]
    TopicExists,
    #[error("no such topic: {0}")]
    NoSuchTopic(String),
    #[error("remote exists: {0}")]
    RemoteExists(String),
    #[error("no such remote: {0}")]
    NoSuchRemote(String),
    #[error("invalid part {0}")]
    InvalidPart(u32),
    #[error("precondition failed")]
    PreconditionFailed,
    #[error("access key exists")]
    AccessKeyExists,
    #[error("no such access key")]
    NoSuchAccessKey,
    #[error("invalid request: {0}")]
    Invalid(String),
    /// No record holds the block (it was freed).
    #[error("no record holds the block")]
    NoSuchBlock,
    /// The block is recorded differently than the update assumed.
    #[error("block mismatch: {0}")]
    BlockMismatch(String),
    #[error("no such storage node")]
    NoSuchNode,
}

pub type CommandResult = Result<CommandReply, MetaError>;
pub type QueryResult = Result<QueryReply, MetaError>;

fn put_event() -> EventName {
    EventName::ObjectCreatedPut
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{codec, ErasureProfile};

    /// `UpdateBlock` as an older release wrote it into the Raft log.
    #[derive(Serialize)]
    enum LegacyCommand {
        UpdateBlock {
            bucket: String,
            key: String,
            block: BlockRef,
        },
    }

    #[test]
    fn legacy_update_block_entries_still_decode() {
        let block = BlockRef {
            id: BlockId([7; 16]),
            size: 3,
            profile: ErasureProfile { data: 2, parity: 1 },
            shard_len: 2,
            shards: vec![None, None, None],
        };
        let bytes = codec::encode(&LegacyCommand::UpdateBlock {
            bucket: "b".into(),
            key: "k".into(),
            block: block.clone(),
        })
        .unwrap();
        let cmd: Command = codec::decode(&bytes).unwrap();
        assert_eq!(
            cmd,
            Command::UpdateBlock {
                block,
                expected: None
            }
        );
    }
}
