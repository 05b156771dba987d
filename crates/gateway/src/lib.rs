//! The S3 gateway: HTTP in (hyper), engine out. Stateless: every request is
//! authenticated, routed to one handler per operation family, and answered
//! exactly as AWS S3 answers it. Also serves the admin API (keys, health,
//! Prometheus metrics) and the website endpoint (buckets as static sites),
//! each on its own address.

mod access;
pub mod admin;
mod auth;
mod body;
mod conditional;
mod context;
mod cors;
pub mod metrics;
mod policy;
mod response;
mod s3;
mod server;
mod website;

pub use auth::RootCredentials;
pub use server::{serve_admin, serve_s3, serve_website};

use std::sync::Arc;
use tessera_engine::Engine;
use tessera_s3_protocol::router::RouterConfig;

/// What a gateway needs to serve requests.
pub struct Gateway {
    pub engine: Arc<Engine>,
    pub root: RootCredentials,
    /// The region reported to clients and expected in signatures.
    pub region: String,
    pub router: RouterConfig,
    /// Largest single PUT body, in bytes.
    pub max_object_size: u64,
    pub metrics: metrics::Metrics,
    keys: auth::KeyCache,
    /// The background workers running in this process, if any.
    workers: std::sync::OnceLock<Arc<dyn WorkerStatus>>,
}

/// What the admin API shows of the background workers running beside a
/// gateway (`GET /v1/repair`): a JSON document of their last passes.
pub trait WorkerStatus: Send + Sync {
    fn status(&self) -> serde_json::Value;
}

impl Gateway {
    pub fn new(
        engine: Arc<Engine>,
        root: RootCredentials,
        region: String,
        domains: Vec<String>,
        max_object_size: u64,
    ) -> Arc<Gateway> {
        Arc::new(Gateway {
            engine,
            root,
            region,
            router: RouterConfig { domains },
            max_object_size,
            metrics: metrics::Metrics::new(),
            keys: auth::KeyCache::default(),
            workers: std::sync::OnceLock::new(),
        })
    }

    /// Lets the admin API report on the workers running in this process.
    pub fn set_workers(&self, workers: Arc<dyn WorkerStatus>) {
        let _ = self.workers.set(workers);
    }
}
