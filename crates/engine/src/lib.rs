//! The engine: Tessera's object data path, between the S3 gateway and the
//! cluster. It cuts object bodies into blocks, erasure-codes each block into
//! shards placed on distinct storage nodes, and reads them back (rebuilding
//! from parity when shards are missing or corrupt). Metadata goes through the
//! meta client it exposes; the gateway never talks to meta or storage nodes
//! any other way.

mod error;
mod hashing;
mod nodes;
mod read;
mod repair;
mod write;

pub use error::{BodyError, Error, Result};
pub use repair::Repaired;
pub use tessera_meta_client::{Error as MetaClientError, MetaClient};
pub use write::WrittenData;

use bytes::Bytes;
use futures::stream::BoxStream;
use std::sync::Arc;
use tessera_erasure::Codec;
use tessera_storage_client::StoragePool;
use tessera_types::{ErasureProfile, StorageClass};
use tessera_util::config::{parse_profile, EngineConfig};

/// A request body as the engine consumes it: chunks of bytes, or the error
/// that ended the body (passed back unchanged in [`Error::Body`]).
pub type BodyStream = BoxStream<'static, std::result::Result<Bytes, BodyError>>;

/// A stream of object data produced by [`Engine::read`].
pub type DataStream = BoxStream<'static, Result<Bytes>>;

/// The object data path of one gateway (or of `tessera server`).
pub struct Engine {
    meta: MetaClient,
    pool: StoragePool,
    standard: Codec,
    reduced: Codec,
    block_size: usize,
    inline_threshold: usize,
    write_pipeline: usize,
    /// KiB of blocks being written, shared by all writes (see
    /// `EngineConfig::write_buffer_bytes`).
    write_budget: Arc<tokio::sync::Semaphore>,
    write_budget_kib: u32,
    read_ahead: usize,
    node_timeout_ms: i64,
    /// When the cluster map was last loaded from meta.
    last_refresh: std::sync::Mutex<Option<std::time::Instant>>,
}

impl Engine {
    pub fn new(meta: MetaClient, pool: StoragePool, cfg: &EngineConfig) -> Result<Arc<Engine>> {
        let codec = |s: &str| -> Result<Codec> {
            let (data, parity) = parse_profile(s).map_err(|e| Error::Config(e.to_string()))?;
            Codec::new(ErasureProfile { data, parity }).map_err(|e| Error::Config(e.to_string()))
        };
        let budget_kib = u32::try_from(cfg.write_buffer_bytes / 1024)
            .unwrap_or(u32::MAX)
            .max(1);
        Ok(Arc::new(Engine {
            meta,
            pool,
            standard: codec(&cfg.standard_profile)?,
            reduced: codec(&cfg.reduced_redundancy_profile)?,
            block_size: cfg.block_size as usize,
            inline_threshold: cfg.inline_threshold as usize,
            write_pipeline: cfg.write_pipeline.max(1),
            write_budget: Arc::new(tokio::sync::Semaphore::new(budget_kib as usize)),
            write_budget_kib: budget_kib,
            read_ahead: cfg.read_ahead.max(1),
            node_timeout_ms: (cfg.node_timeout_secs as i64).saturating_mul(1000),
            last_refresh: std::sync::Mutex::new(None),
        }))
    }

    /// The metadata cluster client.
    pub fn meta(&self) -> &MetaClient {
        &self.meta
    }

    /// The storage node clients.
    pub fn pool(&self) -> &StoragePool {
        &self.pool
    }

    fn codec(&self, class: StorageClass) -> &Codec {
        match class {
            StorageClass::Standard => &self.standard,
            StorageClass::ReducedRedundancy => &self.reduced,
        }
    }

    fn codec_for(&self, profile: ErasureProfile) -> Result<Codec> {
        if self.standard.profile() == profile {
            Ok(self.standard.clone())
        } else if self.reduced.profile() == profile {
            Ok(self.reduced.clone())
        } else {
            Codec::new(profile).map_err(|e| Error::Internal(e.to_string()))
        }
    }
}
