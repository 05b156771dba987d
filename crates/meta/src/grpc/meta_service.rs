//! The `Meta` gRPC service: commands, queries and status for clients.

use super::{decode_request, encode_reply, status_from_error};
use crate::MetaNode;
use std::sync::Arc;
use tessera_proto::meta::v1::meta_server;
use tessera_proto::meta::v1::{
    AddVoterRequest, ReadReply, ReadRequest, RemoveNodeRequest, StatusReply, StatusRequest,
    WriteReply, WriteRequest,
};
use tessera_types::meta::{Command, Query};
use tonic::{Request, Response, Status};

/// Serves `Write`, `Read` and `Status` from one [`MetaNode`].
pub(crate) struct MetaService {
    pub(crate) node: Arc<MetaNode>,
}

#[tonic::async_trait]
impl meta_server::Meta for MetaService {
    async fn write(&self, request: Request<WriteRequest>) -> Result<Response<WriteReply>, Status> {
        let cmd: Command = decode_request("command", &request.get_ref().command)?;
        let result = self
            .node
            .write(cmd)
            .await
            .map_err(|e| status_from_error(self.node.id(), e))?;
        Ok(Response::new(WriteReply {
            result: encode_reply(&result)?,
        }))
    }

    async fn read(&self, request: Request<ReadRequest>) -> Result<Response<ReadReply>, Status> {
        let req = request.into_inner();
        let query: Query = decode_request("query", &req.query)?;
        let result = self
            .node
            .read(query, req.linearizable)
            .await
            .map_err(|e| status_from_error(self.node.id(), e))?;
        Ok(Response::new(ReadReply {
            result: encode_reply(&result)?,
        }))
    }

    async fn status(
        &self,
        _request: Request<StatusRequest>,
    ) -> Result<Response<StatusReply>, Status> {
        Ok(Response::new(self.node.status()))
    }

    async fn add_voter(
        &self,
        request: Request<AddVoterRequest>,
    ) -> Result<Response<StatusReply>, Status> {
        let req = request.into_inner();
        if req.node_id == 0 || !req.addr.contains(':') {
            return Err(Status::invalid_argument(
                "node_id must be > 0 and addr HOST:PORT",
            ));
        }
        self.node
            .add_voter(req.node_id, req.addr)
            .await
            .map_err(|e| status_from_error(self.node.id(), e))?;
        Ok(Response::new(self.node.status()))
    }

    async fn remove_node(
        &self,
        request: Request<RemoveNodeRequest>,
    ) -> Result<Response<StatusReply>, Status> {
        self.node
            .remove_node(request.into_inner().node_id)
            .await
            .map_err(|e| status_from_error(self.node.id(), e))?;
        Ok(Response::new(self.node.status()))
    }
}
