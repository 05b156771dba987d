//! gRPC services and messages generated from `proto/` by tonic and prost.

pub mod meta {
    pub mod v1 {
        tonic::include_proto!("tessera.meta.v1");
    }
}

pub mod storage {
    pub mod v1 {
        tonic::include_proto!("tessera.storage.v1");
    }
}

pub mod convert;
pub mod transport;

pub use transport::{InProcess, Transport};

/// Largest gRPC message Tessera sends or accepts: a shard of a large block,
/// or a Raft batch, with room to spare.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

/// HTTP/2 flow-control window of one stream carrying shards. HTTP/2's
/// default (64 KiB) would make the sender of a multi-MiB shard wait for a
/// window update every 64 KiB; a window as large as a shard lets it go in
/// one go.
pub const SHARD_STREAM_WINDOW_BYTES: u32 = 4 * 1024 * 1024;
/// HTTP/2 flow-control window of a whole connection carrying shards (the
/// bytes in flight across all its streams).
pub const SHARD_CONNECTION_WINDOW_BYTES: u32 = 16 * 1024 * 1024;
