//! Raft storage on RocksDB: the log store, the state machine and its snapshots.
//!
//! Both halves share one database (`<data_dir>/meta.db`), one column family
//! per keyspace (see [`db`]).

pub(crate) mod apply;
mod cluster;
pub(crate) mod db;
mod events;
pub(crate) mod index;
pub(crate) mod keys;
mod log_store;
mod replication;
mod snapshot;
#[cfg(test)]
pub(crate) use snapshot::Snapshots;
mod snapshot_file;
mod snapshot_format;
mod state_machine;
mod tx;

pub use log_store::LogStore;
#[cfg(test)]
pub(crate) use snapshot::{
    build_without as snapshot_build_without, StoredSnapshot, KEY_INSTALLING,
};
pub use snapshot_file::SnapshotFile;
#[cfg(test)]
pub(crate) use state_machine::{apply_entries as state_machine_apply, KEY_APPLIED_PART};
pub use state_machine::{SnapshotBuilder, StateMachine};

/// Where the snapshots of the database at `db_path` are kept: beside it,
/// `meta.db` -> `meta.snapshots`.
pub fn snapshot_dir(db_path: &std::path::Path) -> std::path::PathBuf {
    db_path.with_extension("snapshots")
}

/// The last applied log id (tests only).
#[cfg(test)]
pub(crate) fn state_machine_applied(db: &rocksdb::DB) -> crate::raft_types::LogId {
    state_machine::applied_state(db).unwrap().0.unwrap()
}

use crate::raft_types::StorageError;
use openraft::StorageIOError;

/// Which openraft storage error an internal error becomes.
#[derive(Clone, Copy)]
pub(crate) enum Op {
    ReadLogs,
    WriteLogs,
    ReadVote,
    WriteVote,
    ReadSm,
    WriteSm,
    ReadSnapshot,
    WriteSnapshot,
}

/// Converts an internal error into openraft's `StorageError` for `op`.
pub(crate) fn storage_err(op: Op, e: crate::Error) -> StorageError {
    let io = match op {
        Op::ReadLogs => StorageIOError::read_logs(&e),
        Op::WriteLogs => StorageIOError::write_logs(&e),
        Op::ReadVote => StorageIOError::read_vote(&e),
        Op::WriteVote => StorageIOError::write_vote(&e),
        Op::ReadSm => StorageIOError::read_state_machine(&e),
        Op::WriteSm => StorageIOError::write_state_machine(&e),
        Op::ReadSnapshot => StorageIOError::read_snapshot(None, &e),
        Op::WriteSnapshot => StorageIOError::write_snapshot(None, &e),
    };
    io.into()
}

/// Runs blocking RocksDB work off the async runtime's worker threads.
pub(crate) async fn blocking<T, F>(op: Op, f: F) -> Result<T, StorageError>
where
    T: Send + 'static,
    F: FnOnce() -> crate::Result<T> + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(|e| storage_err(op, e)),
        Err(e) => Err(storage_err(op, e.into())),
    }
}
