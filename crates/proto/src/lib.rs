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

pub use transport::Transport;

/// Largest gRPC message Tessera sends or accepts: a shard of a large block,
/// or a Raft batch, with room to spare.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;
