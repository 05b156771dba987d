//! Incoming Raft RPCs: the `Raft` gRPC service handing peers' messages to
//! the local openraft instance.

use super::{decode_request, encode_reply};
use crate::raft_types::{NodeId, Raft, TypeConfig};
use openraft::raft::{AppendEntriesRequest, InstallSnapshotRequest, VoteRequest};
use tessera_proto::meta::v1::raft_server;
use tessera_proto::meta::v1::RaftMessage;
use tonic::{Request, Response, Status};

/// Serves peers' AppendEntries, Vote and InstallSnapshot.
pub(crate) struct RaftService {
    pub(crate) node_id: NodeId,
    pub(crate) raft: Raft,
}

fn reply<T: serde::Serialize>(value: &T) -> Result<Response<RaftMessage>, Status> {
    Ok(Response::new(RaftMessage {
        payload: encode_reply(value)?,
    }))
}

#[tonic::async_trait]
impl raft_server::Raft for RaftService {
    async fn append_entries(
        &self,
        request: Request<RaftMessage>,
    ) -> Result<Response<RaftMessage>, Status> {
        let rpc: AppendEntriesRequest<TypeConfig> =
            decode_request("append entries", &request.get_ref().payload)?;
        let res = self.raft.append_entries(rpc).await;
        if let Err(e) = &res {
            tracing::warn!(node_id = self.node_id, error = %e, "append entries failed");
        }
        reply(&res)
    }

    async fn vote(&self, request: Request<RaftMessage>) -> Result<Response<RaftMessage>, Status> {
        let rpc: VoteRequest<NodeId> = decode_request("vote", &request.get_ref().payload)?;
        let res = self.raft.vote(rpc).await;
        reply(&res)
    }

    async fn install_snapshot(
        &self,
        request: Request<RaftMessage>,
    ) -> Result<Response<RaftMessage>, Status> {
        let rpc: InstallSnapshotRequest<TypeConfig> =
            decode_request("install snapshot", &request.get_ref().payload)?;
        let res = self.raft.install_snapshot(rpc).await;
        reply(&res)
    }
}
