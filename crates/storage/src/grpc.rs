//! The gRPC face of a storage node.

use crate::node::Check;
use crate::{listing, Error, Result, StorageNode};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tessera_proto::storage::v1::storage_server::{Storage, StorageServer};
use tessera_proto::storage::v1::{
    DeleteShardsReply, DeleteShardsRequest, GetShardReply, GetShardRequest, ListShardsReply,
    ListShardsRequest, NodeStatusReply, NodeStatusRequest, PutShardReply, PutShardRequest,
    ShardInfo, ShardKey,
};
use tessera_proto::{
    InProcess, MAX_MESSAGE_BYTES, SHARD_CONNECTION_WINDOW_BYTES, SHARD_STREAM_WINDOW_BYTES,
};
use tessera_types::ShardId;
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response, Status};

const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(20);
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(10);

/// The `tessera.storage.v1.Storage` service of one [`StorageNode`].
#[derive(Clone, Debug)]
pub struct GrpcStorage {
    node: Arc<StorageNode>,
}

impl StorageNode {
    /// The node's tonic service, accepting messages up to
    /// [`MAX_MESSAGE_BYTES`], for embedding in a server.
    pub fn grpc_service(self: &Arc<Self>) -> StorageServer<GrpcStorage> {
        StorageServer::new(GrpcStorage { node: self.clone() })
            .max_decoding_message_size(MAX_MESSAGE_BYTES)
            .max_encoding_message_size(MAX_MESSAGE_BYTES)
    }

    /// The node's service for clients in this process to call directly
    /// (see `Transport::with_local_storage`).
    pub fn local_service(self: &Arc<Self>) -> Arc<dyn Storage> {
        Arc::new(GrpcStorage { node: self.clone() })
    }
}

/// Serves `node`'s gRPC service on `listener` until `shutdown` completes
/// (then in-flight requests are finished).
pub async fn serve(
    node: Arc<StorageNode>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let addr = listener.local_addr().ok();
    tracing::info!(node_id = node.node_id(), ?addr, "storage gRPC serving");
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    tonic::transport::Server::builder()
        .http2_keepalive_interval(Some(KEEPALIVE_INTERVAL))
        .http2_keepalive_timeout(Some(KEEPALIVE_TIMEOUT))
        .initial_stream_window_size(SHARD_STREAM_WINDOW_BYTES)
        .initial_connection_window_size(SHARD_CONNECTION_WINDOW_BYTES)
        .add_service(node.grpc_service())
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await?;
    tracing::info!(node_id = node.node_id(), "storage gRPC stopped");
    Ok(())
}

/// Maps a node error to a gRPC status; internal details are logged, not sent.
fn to_status(e: Error) -> Status {
    match e {
        Error::NotFound(id) => Status::not_found(format!("shard {id} not found")),
        Error::Corrupt { shard, .. } => Status::data_loss(format!("shard {shard} is corrupt")),
        e @ (Error::HashMismatch(_) | Error::InvalidArgument(_)) => {
            Status::invalid_argument(e.to_string())
        }
        e => {
            tracing::error!(error = %e, "storage request failed");
            Status::internal("internal storage error")
        }
    }
}

fn shard_id(key: Option<&ShardKey>) -> Result<ShardId, Status> {
    let key = key.ok_or_else(|| Status::invalid_argument("missing shard key"))?;
    ShardId::try_from(key).map_err(Status::invalid_argument)
}

#[tonic::async_trait]
impl Storage for GrpcStorage {
    async fn put_shard(
        &self,
        request: Request<PutShardRequest>,
    ) -> Result<Response<PutShardReply>, Status> {
        // A caller in this process hashed these very bytes; from anywhere
        // else they crossed a network and are checked.
        let check = if request.extensions().get::<InProcess>().is_some() {
            Check::Trusted
        } else {
            Check::Hash
        };
        let req = request.into_inner();
        let id = shard_id(req.shard.as_ref())?;
        let hash: [u8; 32] = req.blake3.as_ref().try_into().map_err(|_| {
            Status::invalid_argument(format!("blake3 must be 32 bytes, got {}", req.blake3.len()))
        })?;
        self.node
            .store_shard(id, req.data, hash, check)
            .await
            .map_err(to_status)?;
        Ok(Response::new(PutShardReply {}))
    }

    async fn get_shard(
        &self,
        request: Request<GetShardRequest>,
    ) -> Result<Response<GetShardReply>, Status> {
        let id = shard_id(request.get_ref().shard.as_ref())?;
        // The client hashes the data it receives against this hash.
        let (data, hash) = self.node.read_shard_unhashed(id).await.map_err(to_status)?;
        Ok(Response::new(GetShardReply {
            data,
            blake3: bytes::Bytes::copy_from_slice(&hash),
        }))
    }

    async fn delete_shards(
        &self,
        request: Request<DeleteShardsRequest>,
    ) -> Result<Response<DeleteShardsReply>, Status> {
        let req = request.get_ref();
        let ids = req
            .shards
            .iter()
            .map(|k| shard_id(Some(k)))
            .collect::<Result<Vec<_>, _>>()?;
        let deleted = match req.modified_before_unix_ms {
            0 => self.node.delete_shards(&ids).await,
            cutoff => self.node.delete_shards_modified_before(&ids, cutoff).await,
        }
        .map_err(to_status)?;
        Ok(Response::new(DeleteShardsReply { deleted }))
    }

    async fn list_shards(
        &self,
        request: Request<ListShardsRequest>,
    ) -> Result<Response<ListShardsReply>, Status> {
        let req = request.get_ref();
        let after = match &req.after {
            Some(k) => Some(shard_id(Some(k))?),
            None => None,
        };
        let now_unix_ms = listing::now_ms();
        let (shards, more) = self
            .node
            .list_shards(after, req.limit as usize)
            .await
            .map_err(to_status)?;
        Ok(Response::new(ListShardsReply {
            shards: shards
                .into_iter()
                .map(|s| ShardInfo {
                    shard: Some(s.id.into()),
                    len: s.len,
                    modified_unix_ms: s.modified_ms,
                })
                .collect(),
            more,
            now_unix_ms,
        }))
    }

    async fn node_status(
        &self,
        _request: Request<NodeStatusRequest>,
    ) -> Result<Response<NodeStatusReply>, Status> {
        let s = self.node.status().await.map_err(to_status)?;
        Ok(Response::new(NodeStatusReply {
            node_id: s.node_id,
            zone: s.zone,
            capacity_bytes: s.capacity_bytes,
            used_bytes: s.used_bytes,
            shard_count: s.shard_count,
        }))
    }
}
