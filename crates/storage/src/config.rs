//! Storage node configuration.

use std::path::PathBuf;

/// Where a storage node keeps its shards and which failure domain it is in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageConfig {
    /// One or more data directories, typically one per disk. Created if
    /// missing. The order matters only for choosing a shard's directory.
    pub data_dirs: Vec<PathBuf>,
    /// Failure domain (rack, host, availability zone) reported to the cluster.
    pub zone: String,
}
