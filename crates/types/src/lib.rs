//! Tessera's shared data model: the records kept in the metadata cluster, the
//! layout of an object's data on storage nodes, and the command/query language
//! spoken between gateways and the metadata cluster.
//!
//! Everything here is plain data. Persisted records are encoded with
//! [`codec::encode`], which tags them with a format version so that later
//! releases can still decode them.

pub mod acl;
pub mod blocks;
pub mod codec;
pub mod events;
pub mod ids;
pub mod meta;
pub mod object;
pub mod records;
pub mod replication;

pub use acl::{Acl, CannedAcl, Grant, Grantee, Permission};
pub use blocks::{BlockOwner, OwnedBlock};
pub use ids::{BlockId, NodeId, ShardId};
pub use object::{
    BlockRef, Checksum, ChecksumAlgorithm, ChecksumType, ContentHeaders, ErasureProfile,
    ObjectRecord, ObjectSummary, PartInfo, Segment, ShardRef, StorageClass,
};
pub use records::{AccessKey, BucketRecord, NodeInfo, NodeState, PartRecord, UploadRecord};

/// Milliseconds since the Unix epoch, the unit of every timestamp in metadata.
pub type UnixMillis = i64;

/// The current wall-clock time in [`UnixMillis`].
pub fn now_millis() -> UnixMillis {
    let now = time::OffsetDateTime::now_utc();
    (now.unix_timestamp_nanos() / 1_000_000) as i64
}
