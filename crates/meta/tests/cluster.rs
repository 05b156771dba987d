//! Meta nodes over real gRPC: replication, snapshot transfer to a late
//! joiner, linearizable reads under concurrent writes, leader hints followed
//! by the client, leader failover, and group commit (concurrent writes share
//! log entries and keep their outcomes).

#![allow(clippy::unwrap_used)]

use futures::future::join_all;
use openraft::BasicNode;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tessera_meta::{MetaConfig, MetaNode};
use tessera_meta_client::{Error, MetaClient};
use tessera_types::meta::{MetaError, Query, QueryReply};
use tessera_types::BucketRecord;

struct Running {
    node: Arc<MetaNode>,
    addr: String,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<tessera_meta::Result<()>>,
}

async fn start(id: u64, dir: &std::path::Path, bootstrap: bool) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let node = MetaNode::start(MetaConfig {
        node_id: id,
        data_dir: dir.join(format!("n{id}")),
        advertise_addr: addr.clone(),
        bootstrap,
        heartbeat_interval_ms: 50,
        election_timeout_ms: 300,
        snapshot_logs_since_last: 10,
        snapshot_keep_logs: 0,
        initial_members: Vec::new(),
        ..MetaConfig::default()
    })
    .await
    .unwrap();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(node.clone().serve(listener, async move {
        let _ = rx.await;
    }));
    Running {
        node,
        addr,
        stop,
        server,
    }
}

fn bucket(name: &str) -> BucketRecord {
    BucketRecord::new(name, "o", 1, "r")
}

async fn bucket_count(node: &MetaNode) -> usize {
    match node.read(Query::ListBuckets, false).await.unwrap() {
        Ok(QueryReply::Buckets(b)) => b.len(),
        other => panic!("{other:?}"),
    }
}

async fn wait_for_count(node: &MetaNode, n: usize) {
    tokio::time::timeout(Duration::from_secs(20), async {
        while bucket_count(node).await != n {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_nodes_replicate_and_fail_over() {
    let dir = tempfile::tempdir().unwrap();
    let n1 = start(1, dir.path(), true).await;
    let n2 = start(2, dir.path(), false).await;
    let n3 = start(3, dir.path(), false).await;
    assert_eq!(
        n1.node
            .wait_for_leader(Duration::from_secs(10))
            .await
            .unwrap(),
        1
    );

    let leader_client = MetaClient::new(vec![n1.addr.clone()]).unwrap();
    for i in 0..30 {
        leader_client
            .create_bucket(bucket(&format!("a{i:02}")))
            .await
            .unwrap();
    }
    // The log behind the snapshot is purged, so the joiners get a snapshot.
    let raft = n1.node.raft();
    let mut metrics = raft.metrics();
    tokio::time::timeout(Duration::from_secs(10), async {
        while metrics
            .borrow_and_update()
            .purged
            .is_none_or(|p| p.index < 20)
        {
            metrics.changed().await.unwrap();
        }
    })
    .await
    .unwrap();
    raft.add_learner(2, BasicNode::new(n2.addr.clone()), true)
        .await
        .unwrap();
    raft.add_learner(3, BasicNode::new(n3.addr.clone()), true)
        .await
        .unwrap();
    raft.change_membership(BTreeSet::from([1, 2, 3]), false)
        .await
        .unwrap();
    wait_for_count(&n2.node, 30).await;
    wait_for_count(&n3.node, 30).await;
    // A follower learns the membership from the log after the snapshot that
    // carried the buckets, so its view may lag the bucket count a little.
    tokio::time::timeout(Duration::from_secs(10), async {
        while n3.node.status().members.len() != 3 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("node 3 sees the three members");
    linearizable_reads_see_acknowledged_writes(&n1.node, &n3.node, 30).await;
    let leader_client = MetaClient::new(vec![n1.addr.clone()]).unwrap();
    for i in 0..READ_TEST_WRITES {
        leader_client
            .delete_bucket(&format!("r{i:02}"))
            .await
            .unwrap();
    }

    // A client that only knows a follower is redirected to the leader.
    let follower_client = MetaClient::new(vec![n3.addr.clone()]).unwrap();
    follower_client
        .create_bucket(bucket("via-follower"))
        .await
        .unwrap();
    assert!(follower_client
        .get_bucket("via-follower")
        .await
        .unwrap()
        .is_some());

    // Kill the leader: the others elect a new one and the client follows.
    n1.node.shutdown().await.unwrap();
    let _ = n1.stop.send(());
    let _ = n1.server.await;
    let client = MetaClient::new(vec![n1.addr.clone(), n2.addr.clone(), n3.addr.clone()])
        .unwrap()
        .with_timeout(Duration::from_secs(2), Duration::from_secs(20));
    client
        .create_bucket(bucket("after-failover"))
        .await
        .unwrap();
    let leader = n2
        .node
        .wait_for_leader(Duration::from_secs(10))
        .await
        .unwrap();
    assert!(leader == 2 || leader == 3);
    assert_eq!(client.list_buckets().await.unwrap().len(), 32);

    for n in [n2, n3] {
        n.node.shutdown().await.unwrap();
        let _ = n.stop.send(());
    }
}

const READ_TEST_WRITES: usize = 40;

/// Linearizable reads on the leader, many at once (they share read-index
/// rounds), each see every write acknowledged before it started; on a
/// follower they are all sent to the leader. `base` buckets exist before.
async fn linearizable_reads_see_acknowledged_writes(
    leader: &Arc<MetaNode>,
    follower: &Arc<MetaNode>,
    base: usize,
) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let acked = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (leader, acked) = (leader.clone(), acked.clone());
        tokio::spawn(async move {
            for i in 0..READ_TEST_WRITES {
                let cmd = tessera_types::meta::Command::CreateBucket {
                    bucket: bucket(&format!("r{i:02}")),
                };
                leader.write(cmd).await.unwrap().unwrap();
                acked.store(i + 1, Ordering::SeqCst);
            }
        })
    };
    let readers = (0..8).map(|_| {
        let (leader, acked) = (leader.clone(), acked.clone());
        tokio::spawn(async move {
            let mut reads = 0;
            loop {
                let before = acked.load(Ordering::SeqCst);
                let seen = match leader.read(Query::ListBuckets, true).await.unwrap() {
                    Ok(QueryReply::Buckets(b)) => b.len(),
                    other => panic!("{other:?}"),
                };
                assert!(
                    seen >= base + before,
                    "a read saw {seen} buckets after {before} writes were acknowledged"
                );
                reads += 1;
                if before == READ_TEST_WRITES {
                    return reads;
                }
            }
        })
    });
    let reads: usize = join_all(readers)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .sum();
    writer.await.unwrap();
    assert!(reads >= 8);
    let on_follower = join_all((0..8).map(|_| follower.read(Query::ListBuckets, true))).await;
    for r in on_follower {
        assert!(
            matches!(
                r,
                Err(tessera_meta::Error::ForwardToLeader {
                    leader_id: Some(1),
                    ..
                })
            ),
            "{r:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writes_share_entries_and_keep_their_outcomes() {
    let dir = tempfile::tempdir().unwrap();
    let n1 = start(1, dir.path(), true).await;
    n1.node
        .wait_for_leader(Duration::from_secs(10))
        .await
        .unwrap();
    let client = MetaClient::new(vec![n1.addr.clone()])
        .unwrap()
        .with_timeout(Duration::from_secs(10), Duration::from_secs(30));
    let before = n1
        .node
        .raft()
        .metrics()
        .borrow()
        .last_log_index
        .unwrap_or(0);

    // 200 distinct buckets and 20 attempts at one more, all at once.
    let writes = (0..200)
        .map(|i| format!("b{i:03}"))
        .chain((0..20).map(|_| "contested".to_string()))
        .map(|name| {
            let client = client.clone();
            async move { client.create_bucket(bucket(&name)).await }
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
    let used = n1
        .node
        .raft()
        .metrics()
        .borrow()
        .last_log_index
        .unwrap_or(0)
        - before;
    assert!(
        used < 220,
        "220 concurrent writes took {used} log entries: none were batched"
    );

    n1.node.shutdown().await.unwrap();
    let _ = n1.stop.send(());
    let _ = n1.server.await;
}
