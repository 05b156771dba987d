//! HTTP servers: the S3 API, the website endpoint and the admin API, each
//! on its own listener, HTTP/1.1 and HTTP/2, with graceful shutdown.

use crate::body::Body;
use crate::Gateway;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tracing::{debug, info};

/// How long in-flight requests may run after shutdown begins.
const DRAIN: Duration = Duration::from_secs(10);

/// Serves the S3 API on `listener` until `shutdown` resolves.
pub async fn serve_s3(
    gateway: Arc<Gateway>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve(listener, shutdown, "s3", move |req| {
        let gw = Arc::clone(&gateway);
        async move { Ok::<_, Infallible>(crate::s3::handle(gw, req).await) }
    })
    .await
}

/// Serves the admin API (keys, health, metrics) until `shutdown` resolves.
pub async fn serve_admin(
    gateway: Arc<Gateway>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve(listener, shutdown, "admin", move |req| {
        let gw = Arc::clone(&gateway);
        async move { Ok::<_, Infallible>(crate::admin::handle(gw, req).await) }
    })
    .await
}

/// Serves the website endpoint until `shutdown` resolves. `domains` are
/// the website domains (`BUCKET.<domain>` addresses BUCKET).
pub async fn serve_website(
    gateway: Arc<Gateway>,
    listener: TcpListener,
    domains: Vec<String>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let domains = Arc::new(domains);
    serve(listener, shutdown, "website", move |req| {
        let gw = Arc::clone(&gateway);
        let domains = Arc::clone(&domains);
        async move { Ok::<_, Infallible>(crate::website::handle(gw, domains, req).await) }
    })
    .await
}

async fn serve<F, Fut>(
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
    name: &'static str,
    handler: F,
) -> std::io::Result<()>
where
    F: Fn(http::Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<http::Response<Body>, Infallible>> + Send + 'static,
{
    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .keep_alive(true)
        .header_read_timeout(Duration::from_secs(60))
        .timer(hyper_util::rt::TokioTimer::new());
    tokio::pin!(shutdown);
    info!(addr = %listener.local_addr()?, "{name} API listening");
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: back off, keep serving.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let handler = handler.clone();
                // Who is connected, for policies on aws:SourceIp.
                let service = service_fn(move |mut req: http::Request<Incoming>| {
                    req.extensions_mut().insert(crate::access::PeerAddr(peer));
                    handler(req)
                });
                let conn = builder.serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn.into_owned());
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        debug!(%peer, error = %e, "connection ended with an error");
                    }
                });
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(DRAIN) => tracing::warn!("{name} API: connections still open after drain timeout"),
    }
    Ok(())
}
