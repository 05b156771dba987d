//! Client behaviour against nodes that are absent or misbehave.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};
use tessera_storage_client::{Error, StorageClient};
use tessera_types::{BlockId, ShardId};

fn shard() -> ShardId {
    ShardId {
        block: BlockId::random(),
        index: 0,
    }
}

#[tokio::test]
async fn unreachable_node_is_unavailable() {
    // Bind then drop to get a port with (very likely) nobody listening.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = StorageClient::connect_lazy(&format!("127.0.0.1:{port}")).unwrap();
    let err = client.get_shard(shard()).await.unwrap_err();
    assert!(err.is_transient(), "{err:?}");
}

#[tokio::test]
async fn silent_node_hits_the_deadline() {
    // Accepts TCP connections but never speaks HTTP/2.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hold = tokio::spawn(async move {
        let mut conns = Vec::new();
        while let Ok((c, _)) = listener.accept().await {
            conns.push(c);
        }
    });
    let client = StorageClient::connect_lazy(&format!("http://{addr}"))
        .unwrap()
        .with_timeout(Duration::from_millis(300));
    let start = Instant::now();
    let err = client.node_status().await.unwrap_err();
    assert!(matches!(err, Error::Unavailable(_)), "{err:?}");
    assert!(start.elapsed() < Duration::from_secs(3));
    hold.abort();
}

#[tokio::test]
async fn invalid_address_is_rejected() {
    let err = StorageClient::connect_lazy("bad addr\n").unwrap_err();
    assert!(matches!(err, Error::InvalidAddress { .. }), "{err:?}");
}

#[test]
fn outside_a_runtime_is_an_error_not_a_panic() {
    assert!(StorageClient::connect_lazy("127.0.0.1:1").is_err());
}
