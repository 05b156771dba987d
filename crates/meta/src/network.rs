//! Outgoing Raft RPCs: openraft's `RaftNetworkFactory` over the `Raft` gRPC
//! service of the other meta nodes.
//!
//! Payloads are codec-encoded openraft requests; replies are codec-encoded
//! `Result<response, error>` (see [`crate::grpc::raft_service`]).

use crate::raft_types::{Node, NodeId, TypeConfig};
use openraft::error::{
    InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Timeout, Unreachable,
};
use openraft::network::{RPCOption, RPCTypes, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use serde::{de::DeserializeOwned, Serialize};
use std::time::Duration;
use tessera_proto::meta::v1::raft_client::RaftClient;
use tessera_proto::meta::v1::RaftMessage;
use tessera_proto::Transport;
use tessera_types::codec;
use tonic::transport::{Channel, Endpoint};

/// Creates one [`NetworkClient`] per replication target.
pub struct NetworkFactory {
    node_id: NodeId,
    transport: Transport,
}

impl NetworkFactory {
    pub(crate) fn new(node_id: NodeId, transport: Transport) -> Self {
        NetworkFactory { node_id, transport }
    }
}

impl RaftNetworkFactory<TypeConfig> for NetworkFactory {
    type Network = NetworkClient;

    async fn new_client(&mut self, target: NodeId, node: &Node) -> NetworkClient {
        NetworkClient {
            from: self.node_id,
            target,
            addr: node.addr.clone(),
            transport: self.transport.clone(),
            client: None,
        }
    }
}

/// A transport failure (not an error reported by the remote Raft).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct WireError(String);

/// Raft RPCs to one node over a lazily connected gRPC channel.
pub struct NetworkClient {
    from: NodeId,
    target: NodeId,
    addr: String,
    transport: Transport,
    client: Option<RaftClient<Channel>>,
}

enum Failure {
    /// The node could not be reached: openraft backs off.
    Unreachable(WireError),
    Network(WireError),
    Timeout(Duration),
}

fn endpoint_uri(addr: &str) -> String {
    if addr.starts_with("http://") || addr.starts_with("https://") {
        addr.to_string()
    } else {
        format!("http://{addr}")
    }
}

impl NetworkClient {
    fn client(&mut self) -> Result<RaftClient<Channel>, Failure> {
        if let Some(c) = &self.client {
            return Ok(c.clone());
        }
        let endpoint = Endpoint::from_shared(endpoint_uri(&self.addr))
            .map_err(|e| {
                Failure::Unreachable(WireError(format!("bad address {}: {e}", self.addr)))
            })?
            .connect_timeout(Duration::from_secs(2))
            .tcp_nodelay(true);
        let client = RaftClient::new(self.transport.channel(&endpoint))
            .max_decoding_message_size(tessera_proto::MAX_MESSAGE_BYTES)
            .max_encoding_message_size(tessera_proto::MAX_MESSAGE_BYTES);
        self.client = Some(client.clone());
        Ok(client)
    }

    /// Sends one encoded request and decodes the `Result<T, E>` reply.
    async fn call<Req, T, E>(
        &mut self,
        kind: RPCTypes,
        req: &Req,
        ttl: Duration,
    ) -> Result<Result<T, E>, Failure>
    where
        Req: Serialize,
        T: DeserializeOwned,
        E: DeserializeOwned,
    {
        let payload = codec::encode(req).map_err(|e| Failure::Network(WireError(e.to_string())))?;
        let mut client = self.client()?;
        let mut request = tonic::Request::new(RaftMessage {
            payload: payload.into(),
        });
        request.set_timeout(ttl);
        let call = async move {
            match kind {
                RPCTypes::AppendEntries => client.append_entries(request).await,
                RPCTypes::Vote => client.vote(request).await,
                RPCTypes::InstallSnapshot => client.install_snapshot(request).await,
            }
        };
        let reply = match tokio::time::timeout(ttl, call).await {
            Err(_) => return Err(Failure::Timeout(ttl)),
            Ok(Err(status)) => {
                tracing::debug!(node_id = self.from, target = self.target, %status, "raft rpc failed");
                let err = WireError(format!("{}: {}", status.code(), status.message()));
                return Err(match status.code() {
                    tonic::Code::Unavailable => Failure::Unreachable(err),
                    tonic::Code::DeadlineExceeded => Failure::Timeout(ttl),
                    _ => Failure::Network(err),
                });
            }
            Ok(Ok(reply)) => reply.into_inner(),
        };
        codec::decode(&reply.payload)
            .map_err(|e| Failure::Network(WireError(format!("bad reply: {e}"))))
    }

    fn rpc_error<E: std::error::Error>(
        &self,
        kind: RPCTypes,
        f: Failure,
    ) -> RPCError<NodeId, Node, E> {
        match f {
            Failure::Unreachable(e) => RPCError::Unreachable(Unreachable::new(&e)),
            Failure::Network(e) => RPCError::Network(NetworkError::new(&e)),
            Failure::Timeout(timeout) => RPCError::Timeout(Timeout {
                action: kind,
                id: self.from,
                target: self.target,
                timeout,
            }),
        }
    }
}

impl RaftNetwork<TypeConfig> for NetworkClient {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<NodeId>, RPCError<NodeId, Node, RaftError<NodeId>>> {
        let kind = RPCTypes::AppendEntries;
        match self.call(kind, &rpc, option.hard_ttl()).await {
            Ok(Ok(resp)) => Ok(resp),
            Ok(Err(e)) => Err(RPCError::RemoteError(RemoteError::new(self.target, e))),
            Err(f) => Err(self.rpc_error(kind, f)),
        }
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<
        InstallSnapshotResponse<NodeId>,
        RPCError<NodeId, Node, RaftError<NodeId, InstallSnapshotError>>,
    > {
        let kind = RPCTypes::InstallSnapshot;
        match self.call(kind, &rpc, option.hard_ttl()).await {
            Ok(Ok(resp)) => Ok(resp),
            Ok(Err(e)) => Err(RPCError::RemoteError(RemoteError::new(self.target, e))),
            Err(f) => Err(self.rpc_error(kind, f)),
        }
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<NodeId>,
        option: RPCOption,
    ) -> Result<VoteResponse<NodeId>, RPCError<NodeId, Node, RaftError<NodeId>>> {
        let kind = RPCTypes::Vote;
        match self.call(kind, &rpc, option.hard_ttl()).await {
            Ok(Ok(resp)) => Ok(resp),
            Ok(Err(e)) => Err(RPCError::RemoteError(RemoteError::new(self.target, e))),
            Err(f) => Err(self.rpc_error(kind, f)),
        }
    }
}
