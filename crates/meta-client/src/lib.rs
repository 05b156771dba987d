//! tessera-meta-client: the gRPC client of the metadata cluster.
//!
//! [`MetaClient`] sends commands and linearizable queries to the Raft
//! leader, following `x-tessera-leader` hints and retrying across endpoints
//! with a bounded backoff; typed helpers cover every command and query.

mod blocks;
mod client;
mod endpoints;
mod error;
mod events;
mod typed;

pub use client::{MetaClient, LEADER_HEADER};
pub use error::{Error, Result};
pub use typed::PartsPage;
