//! `tessera bench`: a load generator for any S3 endpoint (Tessera or not).
//! Workloads `put`, `get`, `mixed`, `list` and `multipart`, run by a number
//! of concurrent clients for a duration or a count, every GET body verified
//! against what was written, with a live progress bar and a results table
//! (ops/s, MiB/s, latency percentiles, errors) or JSON.

mod client;
mod content;
mod report;
mod run;
mod sizes;

pub use report::{OpReport, Report};
pub use run::{run, BenchConfig, Limit, Workload};
pub use sizes::{parse_size, SizeDist};

/// What can stop a benchmark before it starts (errors during the run are
/// counted, not returned).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid argument: {0}")]
    Invalid(String),
    #[error("setup failed: {0}")]
    Setup(String),
}
