//! The node's gRPC services: `Meta` for clients, `Raft` for peers.

pub(crate) mod meta_service;
pub(crate) mod raft_service;

use crate::Error;
use tessera_types::codec::{self, CodecError};
use tonic::Status;

/// Metadata entry carrying the leader's address on an UNAVAILABLE reply.
pub const LEADER_HEADER: &str = "x-tessera-leader";

/// Decodes a request payload; a malformed one is the caller's fault.
pub(crate) fn decode_request<T: serde::de::DeserializeOwned>(
    what: &str,
    bytes: &[u8],
) -> Result<T, Status> {
    codec::decode(bytes).map_err(|e| Status::invalid_argument(format!("malformed {what}: {e}")))
}

/// Encodes a reply payload.
pub(crate) fn encode_reply<T: serde::Serialize>(value: &T) -> Result<bytes::Bytes, Status> {
    codec::encode(value)
        .map(bytes::Bytes::from)
        .map_err(|e: CodecError| {
            tracing::error!(error = %e, "failed to encode reply");
            Status::internal("failed to encode reply")
        })
}

/// Maps a node error to the gRPC status a client acts on.
pub(crate) fn status_from_error(node_id: u64, e: Error) -> Status {
    match e {
        Error::ForwardToLeader {
            leader_id,
            leader_addr,
        } => {
            let mut status = Status::unavailable(format!(
                "node {node_id} is not the leader (leader: {leader_id:?})"
            ));
            if let Some(addr) = leader_addr {
                match addr.parse() {
                    Ok(value) => {
                        status.metadata_mut().insert(LEADER_HEADER, value);
                    }
                    Err(_) => {
                        tracing::warn!(node_id, %addr, "leader address is not a valid header value")
                    }
                }
            }
            status
        }
        Error::Unavailable(msg) | Error::Timeout(msg) => Status::unavailable(msg),
        // Refused membership changes: the operator's request, not a fault.
        Error::Config(msg) => Status::failed_precondition(msg),
        other => {
            tracing::error!(node_id, error = %other, "meta request failed");
            Status::internal("internal metadata error")
        }
    }
}
