//! tessera-meta: the metadata node.
//!
//! One openraft group (storage-v2) on RocksDB replicates
//! [`tessera_types::meta::Command`]s; a state machine of ordered keyspaces
//! (buckets, objects, uploads, parts, access keys, nodes, GC queue, block
//! index, repair queue) applies them atomically and answers
//! [`tessera_types::meta::Query`]s. Clients talk
//! to it through the `Meta` gRPC service (see `tessera-meta-client`); peers
//! through the `Raft` service.
//!
//! Design decisions (beyond `crates/types` docs):
//! - Composite keys join components with `0x00`; commands carrying a NUL in
//!   a bucket name, object key or upload id are rejected (`Invalid`).
//! - GC frees exactly the blocks a command stops referencing: blocks shared
//!   between the replaced and the new version (or a part and the completed
//!   object) are never queued. `CompleteUpload` therefore also frees listed
//!   parts' blocks that the new object does not use.
//! - The block index (block id -> owning record) and the repair queue
//!   (blocks with a missing shard) change in the same batch as the records;
//!   freeing a block (queueing it for GC) drops both entries.
//! - `GetObject`, `ListObjects` and `ListUploads` on a missing bucket answer
//!   `NoSuchBucket`; `ListParts` on a missing upload `NoSuchUpload`.
//! - State-machine writes are not fsync'd (the log is, and they are
//!   re-applied from it); log purges are, which also makes every earlier
//!   state-machine write durable. The current snapshot is kept in the `sm`
//!   column family so a restarted leader can still send it.

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod config;
mod error;
mod grpc;
mod membership;
mod network;
mod node;
mod proposer;
mod query;
mod raft_types;
mod read_index;
mod store;
#[cfg(test)]
mod tests;

pub use config::MetaConfig;
pub use error::{Error, Result};
pub use grpc::LEADER_HEADER;
pub use network::{NetworkClient, NetworkFactory};
pub use node::MetaNode;
pub use query::StateReader;
pub use raft_types::{Raft, TypeConfig};
pub use store::{LogStore, SnapshotBuilder, SnapshotFile, StateMachine};

/// Storage handles for tests and tools: the log store and state machine of a
/// database at `path`, as openraft's storage `Suite` builds them.
pub mod testing {
    use crate::query::StateReader;
    use crate::store::{db, snapshot_dir, LogStore, StateMachine};
    use std::path::Path;

    /// Opens the database at `path` and returns its log store, state machine
    /// and a reader of the state machine.
    pub fn open_store(path: &Path) -> crate::Result<(LogStore, StateMachine, StateReader)> {
        let db = db::open(path)?;
        Ok((
            LogStore::new(db.clone()),
            StateMachine::open(db.clone(), snapshot_dir(path))?,
            StateReader::new(db),
        ))
    }
}
