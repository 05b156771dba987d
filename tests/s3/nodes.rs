//! Test support for the durability tests: the storage nodes of a
//! `TestServer` on disk, made to fail writes, and the workers' status.

use std::path::PathBuf;
use std::time::{Duration, Instant};
use tessera_cli::admin_client::AdminClient;
use tessera_test_harness::TestServer;

/// The data directory of storage node `n` (1-based, as `tessera server`
/// numbers them).
pub fn node_dir(s: &TestServer, n: usize) -> PathBuf {
    s.data_dir.join("storage").join(format!("node{n}"))
}

/// The cluster-map id of storage node `n`.
pub fn node_id(s: &TestServer, n: usize) -> u64 {
    let text = std::fs::read_to_string(node_dir(s, n).join("node.id")).unwrap();
    text.trim().parse().unwrap()
}

/// The shard files storage node `n` holds.
pub fn shard_files(s: &TestServer, n: usize) -> Vec<PathBuf> {
    tessera_test_harness::shard_paths(&node_dir(s, n))
}

/// Shard file counts of nodes 1..=`nodes`.
pub fn counts(s: &TestServer, nodes: usize) -> Vec<usize> {
    (1..=nodes).map(|n| shard_files(s, n).len()).collect()
}

/// Storage node `n` failing every shard read and write (its heartbeats go
/// on): its shards directory is moved aside and a file takes its place.
pub struct Broken(PathBuf);

pub fn break_node(s: &TestServer, n: usize) -> Broken {
    let shards = node_dir(s, n).join("shards");
    std::fs::rename(&shards, shards.with_extension("off")).unwrap();
    std::fs::write(&shards, b"not a directory").unwrap();
    Broken(shards)
}

impl Broken {
    pub fn restore(self) {
        std::fs::remove_file(&self.0).unwrap();
        std::fs::rename(self.0.with_extension("off"), &self.0).unwrap();
    }
}

pub fn admin(s: &TestServer) -> AdminClient {
    AdminClient::new(&s.admin_endpoint(), &s.access_key, &s.secret_key).unwrap()
}

/// Polls `check` every 100 ms until it returns `Ok`, failing the test with
/// its last `Err` after `within`.
pub async fn eventually<T, F, Fut>(within: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let deadline = Instant::now() + within;
    loop {
        match check().await {
            Ok(v) => return v,
            Err(e) if Instant::now() > deadline => panic!("still not so after {within:?}: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Waits until storage nodes 1..=`want.len()` hold `want` shard files.
pub async fn wait_for_counts(s: &TestServer, want: &[usize]) {
    eventually(Duration::from_secs(30), || async {
        let now = counts(s, want.len());
        if now == want {
            Ok(())
        } else {
            Err(format!("shard files per node {now:?}, want {want:?}"))
        }
    })
    .await
}

/// Waits until the workers report `pointer` (a JSON pointer into
/// `GET /v1/repair`) equal to `want`; returns the whole report.
pub async fn wait_for_status(
    s: &TestServer,
    pointer: &str,
    want: serde_json::Value,
) -> serde_json::Value {
    let admin = admin(s);
    eventually(Duration::from_secs(30), || async {
        let status = admin.repair_status().await.map_err(|e| e.to_string())?;
        if status.pointer(pointer) == Some(&want) {
            Ok(status)
        } else {
            Err(format!("{pointer} is not {want} in {status}"))
        }
    })
    .await
}
