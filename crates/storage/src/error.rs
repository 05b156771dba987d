//! Storage node errors.

use std::path::PathBuf;
use tessera_types::{NodeId, ShardId};

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The shard is not stored on this node.
    #[error("shard {0} not found")]
    NotFound(ShardId),
    /// The stored shard is damaged: bad header, short file or hash mismatch.
    #[error("shard {shard} is corrupt: {reason}")]
    Corrupt { shard: ShardId, reason: String },
    /// A put's data does not match the hash sent with it.
    #[error("shard {0}: data does not match its blake3 hash")]
    HashMismatch(ShardId),
    /// A malformed request (e.g. a bad shard key).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The configuration cannot be used.
    #[error("invalid storage configuration: {0}")]
    Config(String),
    /// A data directory records another node's id (or several ids disagree).
    #[error("data directory {dir} belongs to node {found}, not {expected}")]
    ForeignDirectory {
        dir: PathBuf,
        found: NodeId,
        expected: NodeId,
    },
    /// A data directory is locked by another running node.
    #[error("data directory {0} is in use by another process")]
    Locked(PathBuf),
    /// A filesystem operation failed.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// A blocking task panicked or was cancelled.
    #[error("background task failed: {0}")]
    Task(String),
    /// The gRPC server failed.
    #[error("gRPC server: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O error with what was being done and on which path.
    pub(crate) fn io(what: &str, path: &std::path::Path, source: std::io::Error) -> Self {
        Error::Io {
            context: format!("{what} {}", path.display()),
            source,
        }
    }
}

/// Runs blocking filesystem work on Tokio's blocking pool.
pub(crate) async fn blocking<T, F>(f: F) -> Result<T>
where
    F: FnOnce() -> Result<T> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Task(e.to_string()))?
}
