//! The client's error type.

use tessera_types::meta::MetaError;

/// Why a metadata call failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command or query was answered with an application outcome
    /// (`NoSuchBucket`, `PreconditionFailed`, ...).
    #[error("{0}")]
    Meta(MetaError),
    /// No meta node could serve the call before the overall timeout.
    #[error("metadata cluster unavailable: {0}")]
    Unavailable(String),
    /// A payload could not be encoded or decoded.
    #[error("codec: {0}")]
    Codec(String),
    /// An endpoint given to [`crate::MetaClient::new`] is not a valid address.
    #[error("invalid endpoint: {0}")]
    InvalidEndpoint(String),
    /// The server failed or answered something unexpected.
    #[error("internal: {0}")]
    Internal(String),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<MetaError> for Error {
    fn from(e: MetaError) -> Self {
        Error::Meta(e)
    }
}

impl From<tessera_types::codec::CodecError> for Error {
    fn from(e: tessera_types::codec::CodecError) -> Self {
        Error::Codec(e.to_string())
    }
}
