//! The crate's error type.

use tessera_types::codec::CodecError;

/// Failures of the metadata node. Application outcomes (`MetaError`) are not
/// errors here: they travel inside `CommandResult` / `QueryResult`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// This node is not the leader; `leader_addr` is where to send the request.
    #[error("not the leader (leader: {leader_id:?} at {leader_addr:?})")]
    ForwardToLeader {
        leader_id: Option<u64>,
        leader_addr: Option<String>,
    },
    /// Raft could not serve the request now (no quorum, shutting down, ...).
    #[error("raft unavailable: {0}")]
    Unavailable(String),
    /// Waiting for a condition took longer than allowed.
    #[error("timed out: {0}")]
    Timeout(String),
    /// A payload or stored record could not be encoded or decoded.
    #[error("codec: {0}")]
    Codec(#[from] CodecError),
    /// The storage engine failed.
    #[error("rocksdb: {0}")]
    Db(#[from] rocksdb::Error),
    /// Stored data is inconsistent (missing column family, malformed key, ...).
    #[error("corrupt metadata store: {0}")]
    Corrupt(String),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("grpc transport: {0}")]
    Transport(#[from] tonic::transport::Error),
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A blocking task panicked or was cancelled.
    #[error("background task failed: {0}")]
    Task(String),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<tokio::task::JoinError> for Error {
    fn from(e: tokio::task::JoinError) -> Self {
        Error::Task(e.to_string())
    }
}
