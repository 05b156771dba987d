//! Errors of storage RPCs, by what the caller should do about them.

use tonic::Code;

/// Why a storage RPC failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The node does not have the shard.
    #[error("shard not found")]
    NotFound,
    /// The shard's bytes do not match its hash (on the node or in transit).
    #[error("shard corrupt: {0}")]
    Corrupt(String),
    /// The node could not be reached in time: connect errors, deadlines,
    /// `UNAVAILABLE`. Worth retrying elsewhere or later.
    #[error("storage node unavailable: {0}")]
    Unavailable(String),
    /// The node refused the request as invalid (bad hash, bad shard key).
    #[error("request rejected: {0}")]
    Rejected(String),
    /// The address given for a node is not a valid URI.
    #[error("invalid storage node address {addr:?}: {reason}")]
    InvalidAddress { addr: String, reason: String },
    /// Anything else the node reported.
    #[error("storage node error: {0}")]
    Internal(String),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Whether trying again (possibly on another node) may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Error::Unavailable(_))
    }
}

impl From<tonic::Status> for Error {
    fn from(s: tonic::Status) -> Self {
        let msg = s.message().to_string();
        match s.code() {
            Code::NotFound => Error::NotFound,
            Code::DataLoss => Error::Corrupt(msg),
            Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => {
                Error::Rejected(msg)
            }
            Code::Unavailable
            | Code::DeadlineExceeded
            | Code::Cancelled
            | Code::ResourceExhausted => Error::Unavailable(format!("{:?}: {msg}", s.code())),
            code => Error::Internal(format!("{code:?}: {msg}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::Status;

    #[test]
    fn status_mapping() {
        assert!(matches!(
            Error::from(Status::not_found("x")),
            Error::NotFound
        ));
        assert!(matches!(
            Error::from(Status::data_loss("x")),
            Error::Corrupt(_)
        ));
        assert!(matches!(
            Error::from(Status::invalid_argument("x")),
            Error::Rejected(_)
        ));
        assert!(Error::from(Status::unavailable("x")).is_transient());
        assert!(Error::from(Status::deadline_exceeded("x")).is_transient());
        assert!(matches!(
            Error::from(Status::internal("x")),
            Error::Internal(_)
        ));
        assert!(!Error::from(Status::internal("x")).is_transient());
    }
}
