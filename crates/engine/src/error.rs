use tessera_types::meta::MetaError;

/// The error a request body stream ended with (a client-side problem such as
/// a bad chunk signature), carried through the engine untouched.
pub type BodyError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request body failed; the gateway turns it back into its S3 error.
    #[error("request body: {0}")]
    Body(BodyError),
    /// A committed application outcome of the metadata cluster.
    #[error(transparent)]
    Meta(MetaError),
    /// Not enough of the cluster is reachable to serve the request now.
    #[error("cluster unavailable: {0}")]
    Unavailable(String),
    /// Too few intact shards of a block remain to rebuild it.
    #[error("data unreadable: {0}")]
    DataLoss(String),
    /// The body exceeded the size limit of the request.
    #[error("body too large")]
    TooLarge,
    #[error("configuration: {0}")]
    Config(String),
    #[error("internal: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<tessera_meta_client::Error> for Error {
    fn from(e: tessera_meta_client::Error) -> Self {
        match e {
            tessera_meta_client::Error::Meta(m) => Error::Meta(m),
            tessera_meta_client::Error::Unavailable(s) => Error::Unavailable(s),
            other => Error::Internal(other.to_string()),
        }
    }
}
