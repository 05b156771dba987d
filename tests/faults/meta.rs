//! The metadata group under faults: its leader stopped and restarted while
//! clients write, a minority cut off, a majority cut off.

use crate::{create_bucket, eventually, get, put, verify_all, verify_not_partial, Written, SIZES};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tessera_test_harness::{Cluster, ClusterSpec};

/// Writes objects in a loop through alternating gateways until `stop`,
/// returning (acknowledged, not acknowledged).
struct Writer {
    stop: Arc<AtomicBool>,
    acked: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<(Vec<Written>, Vec<Written>)>,
}

impl Writer {
    fn start(cluster: &Cluster, bucket: &str, prefix: &str) -> Writer {
        let clients = [cluster.client(0), cluster.client(1)];
        let stop = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(AtomicUsize::new(0));
        let (bucket, prefix) = (bucket.to_string(), prefix.to_string());
        let (stop2, acked2) = (Arc::clone(&stop), Arc::clone(&acked));
        let task = tokio::spawn(async move {
            let (mut ok, mut failed) = (Vec::new(), Vec::new());
            let mut i = 0u64;
            while !stop2.load(Ordering::Relaxed) {
                let w = Written::new(format!("{prefix}-{i:05}"), i, SIZES[i as usize % 5]);
                match put(&clients[i as usize % 2], &bucket, &w).await {
                    Ok(()) => {
                        ok.push(w);
                        acked2.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        tracing::info!(key = %w.key, error = %e, "put not acknowledged");
                        failed.push(w);
                    }
                }
                i += 1;
            }
            (ok, failed)
        });
        Writer { stop, acked, task }
    }

    fn acked(&self) -> usize {
        self.acked.load(Ordering::Relaxed)
    }

    /// Waits until `more` further objects are acknowledged.
    async fn wait_for(&self, more: usize, what: &str) {
        let target = self.acked() + more;
        eventually(what, Duration::from_secs(60), || async {
            self.acked() >= target
        })
        .await;
    }

    async fn finish(self) -> (Vec<Written>, Vec<Written>) {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn leader_stopped_and_restarted_during_writes() {
    let mut cluster = Cluster::start(ClusterSpec::default()).await;
    create_bucket(&cluster.client(0), "bkt").await;
    let writer = Writer::start(&cluster, "bkt", "obj");
    writer.wait_for(10, "writes before the fault").await;

    let leader = cluster.wait_for_leader().await;
    cluster.stop_meta(leader).await;
    writer
        .wait_for(10, "writes resume under a new leader")
        .await;
    let new_leader = cluster.wait_for_leader().await;
    assert_ne!(new_leader, leader);

    cluster.restart_meta(leader).await;
    writer
        .wait_for(10, "writes after the old leader returns")
        .await;
    let (acked, unacked) = writer.finish().await;

    // The restarted node catches up with the group.
    let leader_now = cluster.wait_for_leader().await;
    let target = cluster.meta_applied(leader_now).unwrap();
    eventually(
        "the restarted node catches up",
        Duration::from_secs(30),
        || {
            let applied = cluster.meta_applied(leader);
            async move { applied.is_some_and(|a| a >= target) }
        },
    )
    .await;

    verify_all(&cluster, "bkt", &acked).await;
    verify_not_partial(&cluster, "bkt", &unacked).await;
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn minority_partitions_keep_serving() {
    let cluster = Cluster::start(ClusterSpec::default()).await;
    create_bucket(&cluster.client(0), "bkt").await;
    let mut acked = Vec::new();
    let mut n = 0u64;
    let mut write_some = |count: usize| {
        let batch: Vec<Written> = (0..count)
            .map(|_| {
                n += 1;
                Written::new(format!("k{n:04}"), n, SIZES[n as usize % 5])
            })
            .collect();
        batch
    };

    // A follower cut off: nothing notices.
    let leader = cluster.wait_for_leader().await;
    let follower = (leader + 1) % 3;
    cluster.net.isolate(&Cluster::meta_name(follower));
    for w in write_some(6) {
        put(&cluster.client(w.seed as usize % 2), "bkt", &w)
            .await
            .unwrap_or_else(|e| panic!("put {} with a follower cut off: {e}", w.key));
        acked.push(w);
    }
    verify_all(&cluster, "bkt", &acked).await;
    cluster.net.heal();

    // The leader cut off from everyone: the majority elects another, and
    // the gateways follow it.
    let leader = cluster.wait_for_leader().await;
    cluster.net.isolate(&Cluster::meta_name(leader));
    for w in write_some(6) {
        put(&cluster.client(w.seed as usize % 2), "bkt", &w)
            .await
            .unwrap_or_else(|e| panic!("put {} with the leader cut off: {e}", w.key));
        acked.push(w);
    }
    let new_leader = cluster.wait_for_leader().await;
    assert_ne!(new_leader, leader, "a cut-off node must not stay leader");
    verify_all(&cluster, "bkt", &acked).await;

    // Healed, the old leader follows and every gateway reads everything.
    cluster.net.heal();
    for w in write_some(4) {
        put(&cluster.client(w.seed as usize % 2), "bkt", &w)
            .await
            .unwrap();
        acked.push(w);
    }
    verify_all(&cluster, "bkt", &acked).await;
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn majority_partition_fails_fast_then_recovers() {
    let cluster = Cluster::start(ClusterSpec::default()).await;
    let c = cluster.client(0);
    create_bucket(&c, "bkt").await;
    let before = Written::new("before", 1, 70_000);
    put(&c, "bkt", &before).await.unwrap();

    // Two of three meta nodes cut off from everything.
    cluster.net.isolate(&Cluster::meta_name(1));
    cluster.net.isolate(&Cluster::meta_name(2));
    let raw = cluster.raw(0);
    let outcomes = Arc::new(Mutex::new(Vec::new()));
    for (method, path, body) in [
        ("PUT", "/bkt/during", b"x".to_vec()),
        ("GET", "/bkt/before", Vec::new()),
        ("GET", "/bkt?list-type=2", Vec::new()),
    ] {
        let started = Instant::now();
        let resp = raw.signed(method, path, &[], body, None).await;
        let took = started.elapsed();
        outcomes
            .lock()
            .unwrap()
            .push((method, path, resp.status, took));
        assert_eq!(resp.status, 503, "{method} {path}: {}", resp.text());
        assert_eq!(resp.error_code().as_deref(), Some("ServiceUnavailable"));
        // Fails fast: bounded by the gateway's metadata deadline, far
        // below any client timeout.
        assert!(
            took < Duration::from_secs(20),
            "{method} {path} took {took:?}"
        );
    }
    tracing::info!(outcomes = ?outcomes.lock().unwrap(), "requests without a majority");

    cluster.net.heal();
    let after = Written::new("after", 2, 300_000);
    eventually("writes work again", Duration::from_secs(60), || async {
        put(&c, "bkt", &after).await.is_ok()
    })
    .await;
    verify_all(&cluster, "bkt", &[before, after]).await;
    // The refused PUT may still have committed (its outcome was unknown to
    // the gateway), but it is never partial.
    if let Some(got) = get(&c, "bkt", "during").await.unwrap() {
        assert_eq!(got, b"x", "the refused PUT is partial");
    }
    cluster.shutdown().await;
}
