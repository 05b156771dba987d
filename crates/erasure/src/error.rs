//! Errors of the erasure codec.

/// Why an erasure-coding operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The profile cannot be coded (no data shards, or more than 255 shards).
    #[error("invalid erasure profile {data}+{parity}: {reason}")]
    InvalidProfile {
        data: u8,
        parity: u8,
        reason: &'static str,
    },
    /// The caller passed a shard vector of the wrong length.
    #[error("expected {expected} shards, got {got}")]
    ShardCount { expected: usize, got: usize },
    /// Fewer shards are present than are needed to rebuild the block.
    #[error("too few shards to decode: {present} present, {needed} needed")]
    TooFewShards { present: usize, needed: usize },
    /// A present shard does not have the length the others (or the block size) imply.
    #[error("shard {index} has length {got}, expected {expected}")]
    ShardLength {
        index: usize,
        expected: usize,
        got: usize,
    },
    /// No memory for a block's buffer.
    #[error("allocating a block buffer: {0}")]
    Memory(String),
    /// The Reed-Solomon library rejected the input.
    #[error("reed-solomon: {0}")]
    ReedSolomon(String),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<reed_solomon_erasure::Error> for Error {
    fn from(e: reed_solomon_erasure::Error) -> Self {
        Error::ReedSolomon(e.to_string())
    }
}
