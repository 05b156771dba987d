//! Group commit through a real node and gRPC: concurrent writes share log
//! entries, and each still gets its own outcome.

#![allow(clippy::unwrap_used)]

use futures::future::join_all;
use std::time::Duration;
use tessera_meta::{MetaConfig, MetaNode};
use tessera_meta_client::{Error, MetaClient};
use tessera_types::meta::MetaError;
use tessera_types::BucketRecord;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writes_share_entries_and_keep_their_outcomes() {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let node = MetaNode::start(MetaConfig {
        data_dir: dir.path().join("n1"),
        advertise_addr: addr.clone(),
        ..MetaConfig::default()
    })
    .await
    .unwrap();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(node.clone().serve(listener, async move {
        let _ = rx.await;
    }));
    node.wait_for_leader(Duration::from_secs(10)).await.unwrap();
    let client = MetaClient::new(vec![addr])
        .unwrap()
        .with_timeout(Duration::from_secs(10), Duration::from_secs(30));
    let before = node.raft().metrics().borrow().last_log_index.unwrap_or(0);

    // 200 distinct buckets and 20 attempts at one more, all at once.
    let writes = (0..200)
        .map(|i| format!("b{i:03}"))
        .chain((0..20).map(|_| "contested".to_string()))
        .map(|name| {
            let client = client.clone();
            async move {
                client
                    .create_bucket(BucketRecord::new(&name, "o", 1, "r"))
                    .await
            }
        });
    let results = join_all(writes).await;
    for r in &results[..200] {
        r.as_ref().unwrap();
    }
    let contested = &results[200..];
    assert_eq!(contested.iter().filter(|r| r.is_ok()).count(), 1);
    for r in contested.iter().filter(|r| r.is_err()) {
        assert!(
            matches!(r, Err(Error::Meta(MetaError::BucketAlreadyOwnedByYou))),
            "{r:?}"
        );
    }
    assert_eq!(client.list_buckets().await.unwrap().len(), 201);
    let used = node.raft().metrics().borrow().last_log_index.unwrap_or(0) - before;
    assert!(
        used < 220,
        "220 concurrent writes took {used} log entries: none were batched"
    );

    node.shutdown().await.unwrap();
    let _ = stop.send(());
    let _ = server.await;
}
