//! How a node opens its outgoing gRPC connections.
//!
//! Every client channel in Tessera (Raft between meta nodes, meta clients,
//! storage clients) is created through a [`Transport`]. In production it is
//! plain TCP. The in-process test clusters give each node a transport whose
//! [`Dialer`] routes through a fault-injecting network (delays, partitions,
//! dropped connections), so that the real code paths meet real failures.
//!
//! A process that hosts a meta node and storage nodes next to its gateway
//! (`tessera server`) also registers those nodes' services with the
//! transport: a client for such an address calls the service directly,
//! without HTTP/2 or a socket in between (and, for shards, without encoding
//! them).

use crate::meta::v1::meta_server::Meta;
use crate::storage::v1::storage_server::Storage;
use futures::future::BoxFuture;
use hyper_util::rt::TokioIo;
use std::collections::HashMap;
use std::fmt;
use std::io;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite};
use tonic::transport::{Channel, Endpoint};

/// A byte stream a [`Dialer`] returns.
pub trait Stream: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Stream for T {}

/// A boxed [`Stream`].
pub type BoxStream = Box<dyn Stream>;

/// Opens a connection to `host:port`.
pub trait Dialer: Send + Sync + 'static {
    fn dial(&self, authority: String) -> BoxFuture<'static, io::Result<BoxStream>>;
}

/// Marks a request (in its extensions) as made by a storage client in the
/// same process, through a service registered with
/// [`Transport::with_local_storage`]: its bytes never crossed a network or a
/// decoder. A storage node skips re-hashing the shard of such a PutShard,
/// which its caller hashed from the very same memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InProcess;

/// How to open connections: TCP unless a [`Dialer`] is installed; the meta
/// and storage nodes of this process called directly.
#[derive(Clone, Default)]
pub struct Transport {
    dialer: Option<Arc<dyn Dialer>>,
    local_storage: Arc<HashMap<String, Arc<dyn Storage>>>,
    local_meta: Arc<HashMap<String, Arc<dyn Meta>>>,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.dialer.is_some() {
            "Transport(custom)"
        } else {
            "Transport(tcp)"
        })
    }
}

impl Transport {
    /// Plain TCP (what [`Transport::default`] gives).
    pub fn tcp() -> Transport {
        Transport::default()
    }

    /// Connections opened by `dialer`.
    pub fn with_dialer(dialer: Arc<dyn Dialer>) -> Transport {
        Transport {
            dialer: Some(dialer),
            ..Transport::default()
        }
    }

    /// The same transport, with the storage node serving at `addr` (as it
    /// is registered in the cluster map) reached by calling `service` in
    /// this process.
    pub fn with_local_storage(
        mut self,
        addr: impl Into<String>,
        service: Arc<dyn Storage>,
    ) -> Self {
        Arc::make_mut(&mut self.local_storage).insert(addr.into(), service);
        self
    }

    /// The service of the storage node at `addr`, if it runs in this
    /// process.
    pub fn local_storage(&self, addr: &str) -> Option<Arc<dyn Storage>> {
        self.local_storage.get(without_scheme(addr)).cloned()
    }

    /// The same transport, with the meta node serving at `addr`
    /// (`host:port`) reached by calling `service` in this process.
    pub fn with_local_meta(mut self, addr: impl Into<String>, service: Arc<dyn Meta>) -> Self {
        Arc::make_mut(&mut self.local_meta).insert(addr.into(), service);
        self
    }

    /// The service of the meta node at `addr`, if it runs in this process.
    pub fn local_meta(&self, addr: &str) -> Option<Arc<dyn Meta>> {
        self.local_meta.get(without_scheme(addr)).cloned()
    }

    /// A channel to `endpoint` that connects on first use. Must be called
    /// within a Tokio runtime. The endpoint's connect timeout applies to
    /// custom dialers too.
    pub fn channel(&self, endpoint: &Endpoint) -> Channel {
        match &self.dialer {
            None => endpoint.connect_lazy(),
            Some(d) => endpoint.connect_with_connector_lazy(Connector(Arc::clone(d))),
        }
    }
}

/// `http://host:port` -> `host:port`.
fn without_scheme(addr: &str) -> &str {
    addr.strip_prefix("http://").unwrap_or(addr)
}

/// Adapts a [`Dialer`] to the connector service tonic expects.
#[derive(Clone)]
struct Connector(Arc<dyn Dialer>);

impl tower_service::Service<http::Uri> for Connector {
    type Response = TokioIo<BoxStream>;
    type Error = io::Error;
    type Future = BoxFuture<'static, io::Result<TokioIo<BoxStream>>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let dialer = Arc::clone(&self.0);
        Box::pin(async move {
            let authority = uri
                .authority()
                .map(|a| a.to_string())
                .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no host in URI"))?;
            let stream = dialer.dial(authority).await?;
            Ok(TokioIo::new(stream))
        })
    }
}
