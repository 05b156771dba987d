//! gRPC clients for Tessera storage nodes.
//!
//! [`StorageClient`] talks to one node: it connects lazily, puts a deadline
//! on every call and verifies every shard it reads against the blake3 hash the
//! node reports. [`StoragePool`] keeps one client per node of the cluster map.

mod client;
mod error;
mod pool;

pub use client::{NodeStatus, ShardInfo, ShardPage, StorageClient, DEFAULT_TIMEOUT};
pub use error::{Error, Result};
pub use pool::StoragePool;
