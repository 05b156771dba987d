//! A client for one storage node.

use crate::{Error, Result};
use bytes::Bytes;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tessera_proto::storage::v1::storage_client::StorageClient as GrpcClient;
use tessera_proto::storage::v1::storage_server::Storage;
use tessera_proto::storage::v1::{
    DeleteShardsRequest, GetShardRequest, ListShardsRequest, NodeStatusReply, NodeStatusRequest,
    PutShardRequest, ShardKey,
};
use tessera_proto::{InProcess, Transport};
use tessera_proto::{MAX_MESSAGE_BYTES, SHARD_CONNECTION_WINDOW_BYTES, SHARD_STREAM_WINDOW_BYTES};
use tessera_types::{NodeId, ShardId};
use tonic::transport::{Channel, Endpoint};

/// Deadline of every call unless changed with [`StorageClient::with_timeout`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(20);
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(10);

/// What a storage node reports about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeStatus {
    pub node_id: NodeId,
    /// Failure domain.
    pub zone: String,
    /// Total size of the filesystems holding the node's data directories.
    pub capacity_bytes: u64,
    /// Bytes taken by shard files.
    pub used_bytes: u64,
    pub shard_count: u64,
}

impl From<NodeStatusReply> for NodeStatus {
    fn from(r: NodeStatusReply) -> Self {
        NodeStatus {
            node_id: r.node_id,
            zone: r.zone,
            capacity_bytes: r.capacity_bytes,
            used_bytes: r.used_bytes,
            shard_count: r.shard_count,
        }
    }
}

/// A shard as a node lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardInfo {
    pub id: ShardId,
    /// Bytes of shard data.
    pub len: u64,
    /// When the node last wrote the shard's file, Unix milliseconds.
    pub modified_ms: i64,
}

/// A page of [`StorageClient::list_shards`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShardPage {
    /// In (block id, index) order.
    pub shards: Vec<ShardInfo>,
    /// The page stopped at the limit: more may follow its last shard.
    pub more: bool,
    /// The node's clock when it read the page, Unix milliseconds (compare
    /// `modified_ms` with this, not with the local clock).
    pub node_now_ms: i64,
}

/// A gRPC client for one storage node. Cheap to clone: clones share the
/// HTTP/2 connection.
#[derive(Clone)]
pub struct StorageClient {
    addr: Arc<str>,
    link: Link,
    timeout: Duration,
}

/// How a client reaches its node.
#[derive(Clone)]
enum Link {
    Grpc(GrpcClient<Channel>),
    /// The node's service in this process, called directly: the same
    /// requests, replies and errors, without encoding or a connection.
    Local(Arc<dyn Storage>),
}

/// Calls RPC `$method` with `$req` over the client's link, under its
/// deadline.
macro_rules! rpc {
    ($self:ident, $method:ident, $req:expr) => {{
        let req = $self.request($req);
        match &$self.link {
            Link::Grpc(g) => $self.call(g.clone().$method(req)).await,
            Link::Local(s) => {
                let mut req = req;
                req.extensions_mut().insert(InProcess);
                $self.call(s.$method(req)).await
            }
        }
    }};
}

impl fmt::Debug for StorageClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StorageClient")
            .field("addr", &self.addr)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl StorageClient {
    /// A client for the node at `addr` (`host:port` or `http://host:port`)
    /// that connects on first use (connect timeout 3 s) and reconnects as
    /// needed. Must be called within a Tokio runtime.
    pub fn connect_lazy(addr: &str) -> Result<StorageClient> {
        Self::connect_lazy_via(addr, &Transport::tcp())
    }

    /// Like [`StorageClient::connect_lazy`], opening connections through
    /// `transport`.
    pub fn connect_lazy_via(addr: &str, transport: &Transport) -> Result<StorageClient> {
        if let Some(service) = transport.local_storage(addr) {
            return Ok(StorageClient {
                addr: addr.into(),
                link: Link::Local(service),
                timeout: DEFAULT_TIMEOUT,
            });
        }
        let invalid = |reason: String| Error::InvalidAddress {
            addr: addr.to_string(),
            reason,
        };
        let uri = if addr.contains("://") {
            addr.to_string()
        } else {
            format!("http://{addr}")
        };
        let endpoint = Endpoint::from_shared(uri)
            .map_err(|e| invalid(e.to_string()))?
            .connect_timeout(CONNECT_TIMEOUT)
            .tcp_nodelay(true)
            .http2_keep_alive_interval(KEEPALIVE_INTERVAL)
            .keep_alive_timeout(KEEPALIVE_TIMEOUT)
            .keep_alive_while_idle(true)
            .initial_stream_window_size(SHARD_STREAM_WINDOW_BYTES)
            .initial_connection_window_size(SHARD_CONNECTION_WINDOW_BYTES);
        // The channel spawns its worker task on the current runtime.
        tokio::runtime::Handle::try_current()
            .map_err(|_| Error::Internal("StorageClient needs a Tokio runtime".into()))?;
        let grpc = GrpcClient::new(transport.channel(&endpoint))
            .max_decoding_message_size(MAX_MESSAGE_BYTES)
            .max_encoding_message_size(MAX_MESSAGE_BYTES);
        Ok(StorageClient {
            addr: addr.into(),
            link: Link::Grpc(grpc),
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// The same client with another per-call deadline.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The address this client was created for, as given.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Stores a shard; returns once the node has made it durable.
    #[tracing::instrument(level = "debug", skip(self, data, blake3), fields(addr = %self.addr, len = data.len()))]
    pub async fn put_shard(&self, id: ShardId, data: Bytes, blake3: [u8; 32]) -> Result<()> {
        let req = PutShardRequest {
            shard: Some(id.into()),
            data,
            blake3: Bytes::copy_from_slice(&blake3),
        };
        rpc!(self, put_shard, req)?;
        Ok(())
    }

    /// Returns the shard's bytes after checking them against the blake3 hash
    /// the node reports (a mismatch, e.g. damage in transit, is
    /// [`Error::Corrupt`]).
    #[tracing::instrument(level = "debug", skip(self), fields(addr = %self.addr))]
    pub async fn get_shard(&self, id: ShardId) -> Result<Bytes> {
        self.fetch(id, None).await
    }

    /// As [`Self::get_shard`], and the bytes must also hash to `expected`
    /// (the hash recorded in metadata): one hashing checks both.
    pub async fn get_shard_expecting(&self, id: ShardId, expected: [u8; 32]) -> Result<Bytes> {
        self.fetch(id, Some(expected)).await
    }

    async fn fetch(&self, id: ShardId, expected: Option<[u8; 32]>) -> Result<Bytes> {
        let req = GetShardRequest {
            shard: Some(id.into()),
        };
        let reply = rpc!(self, get_shard, req)?;
        let actual = blake3::hash(&reply.data);
        if expected.is_some_and(|e| &e != actual.as_bytes()) {
            return Err(Error::Corrupt(format!(
                "shard {id} from {}: does not match the hash in metadata",
                self.addr
            )));
        }
        if reply.blake3.as_ref() != actual.as_bytes() {
            tracing::warn!(shard = %id, addr = %self.addr, "shard received with a wrong hash");
            return Err(Error::Corrupt(format!(
                "shard {id} from {}: hash mismatch",
                self.addr
            )));
        }
        Ok(reply.data)
    }

    /// Deletes shards (absent ones are not an error); returns how many existed.
    #[tracing::instrument(level = "debug", skip(self, ids), fields(addr = %self.addr, count = ids.len()))]
    pub async fn delete_shards(&self, ids: &[ShardId]) -> Result<u32> {
        self.delete(ids, 0).await
    }

    /// Deletes the shards whose files the node last wrote before
    /// `cutoff_ms` (Unix milliseconds, > 0): a shard written again since it
    /// was listed is kept. Returns how many were deleted.
    #[tracing::instrument(level = "debug", skip(self, ids), fields(addr = %self.addr, count = ids.len()))]
    pub async fn delete_shards_modified_before(
        &self,
        ids: &[ShardId],
        cutoff_ms: i64,
    ) -> Result<u32> {
        if cutoff_ms <= 0 {
            return Err(Error::Rejected(format!(
                "a deletion cutoff must be after 1970, got {cutoff_ms}"
            )));
        }
        self.delete(ids, cutoff_ms).await
    }

    async fn delete(&self, ids: &[ShardId], modified_before_unix_ms: i64) -> Result<u32> {
        if ids.is_empty() {
            return Ok(0);
        }
        let req = DeleteShardsRequest {
            shards: ids.iter().map(|&id| ShardKey::from(id)).collect(),
            modified_before_unix_ms,
        };
        Ok(rpc!(self, delete_shards, req)?.deleted)
    }

    /// Up to `limit` of the node's shards in (block id, index) order after
    /// `after` (from the first when `None`). The node caps a page at 10,000
    /// shards.
    #[tracing::instrument(level = "debug", skip(self), fields(addr = %self.addr))]
    pub async fn list_shards(&self, after: Option<ShardId>, limit: u32) -> Result<ShardPage> {
        let req = ListShardsRequest {
            after: after.map(ShardKey::from),
            limit,
        };
        let reply = rpc!(self, list_shards, req)?;
        let shards = reply
            .shards
            .iter()
            .map(|s| {
                let key = s
                    .shard
                    .as_ref()
                    .ok_or_else(|| Error::Internal("listed shard without a key".into()))?;
                Ok(ShardInfo {
                    id: ShardId::try_from(key).map_err(Error::Internal)?,
                    len: s.len,
                    modified_ms: s.modified_unix_ms,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(ShardPage {
            shards,
            more: reply.more,
            node_now_ms: reply.now_unix_ms,
        })
    }

    /// The node's identity and usage.
    #[tracing::instrument(level = "debug", skip(self), fields(addr = %self.addr))]
    pub async fn node_status(&self) -> Result<NodeStatus> {
        Ok(rpc!(self, node_status, NodeStatusRequest {})?.into())
    }

    /// Wraps a message, telling the server the deadline (`grpc-timeout`).
    fn request<M>(&self, message: M) -> tonic::Request<M> {
        let mut req = tonic::Request::new(message);
        req.set_timeout(self.timeout);
        req
    }

    /// Runs a call under the client-side deadline too, so that a node that
    /// stops answering cannot hang the caller.
    async fn call<T>(
        &self,
        fut: impl Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    ) -> Result<T> {
        match tokio::time::timeout(self.timeout, fut).await {
            Ok(Ok(reply)) => Ok(reply.into_inner()),
            Ok(Err(status)) => Err(status.into()),
            Err(_) => Err(Error::Unavailable(format!(
                "{}: no reply within {:?}",
                self.addr, self.timeout
            ))),
        }
    }
}
