//! A single-voter node keeps its data across a restart and re-elects itself,
//! and across a crash it loses no acknowledged write.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};
use tessera_meta::{MetaConfig, MetaNode};
use tessera_types::meta::{Command, CommandReply, Query, QueryReply};
use tessera_types::BucketRecord;

fn config(dir: &std::path::Path) -> MetaConfig {
    MetaConfig {
        node_id: 1,
        data_dir: dir.to_path_buf(),
        advertise_addr: "127.0.0.1:1".into(),
        bootstrap: true,
        heartbeat_interval_ms: 50,
        election_timeout_ms: 200,
        snapshot_logs_since_last: 20,
        snapshot_keep_logs: 5,
        initial_members: Vec::new(),
        ..MetaConfig::default()
    }
}

fn bucket(name: &str) -> BucketRecord {
    BucketRecord::new(name, "o", 1, "r")
}

async fn start(dir: &std::path::Path, addr: &str) -> std::sync::Arc<MetaNode> {
    // The previous instance's database lock is released when its last handle drops.
    for _ in 0..50 {
        let cfg = MetaConfig {
            advertise_addr: addr.into(),
            ..config(dir)
        };
        match MetaNode::start(cfg).await {
            Ok(n) => return n,
            Err(e) => {
                eprintln!("start failed, retrying: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    panic!("node did not start");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_survives_restart_and_leader_is_re_elected() {
    let dir = tempfile::tempdir().unwrap();
    let node = start(dir.path(), "127.0.0.1:1").await;
    assert_eq!(
        node.wait_for_leader(Duration::from_secs(10)).await.unwrap(),
        1
    );
    // Enough writes to trigger snapshots and log purges on the way.
    create_buckets(&node, 0..60).await;
    let status = node.status();
    assert_eq!(status.leader_id, Some(1));
    assert!(status.last_applied_index >= 60);
    // A snapshot was built and the log purged behind it.
    wait_for_purge(&node).await;
    assert!(node.raft().metrics().borrow().snapshot.is_some());
    node.shutdown().await.unwrap();
    drop(node);

    // Restarted on another address: the membership follows.
    let node = start(dir.path(), "127.0.0.1:2").await;
    assert_eq!(
        node.wait_for_leader(Duration::from_secs(10)).await.unwrap(),
        1
    );
    tokio::time::timeout(Duration::from_secs(10), async {
        while node.status().leader_addr != "127.0.0.1:2" {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap();
    let Ok(QueryReply::Buckets(b)) = node.read(Query::ListBuckets, true).await.unwrap() else {
        panic!()
    };
    assert_eq!(b.len(), 60);
    assert_eq!(b[59].name, "b59");
    // Writes keep working after the restart.
    let r = node
        .write(Command::CreateBucket {
            bucket: bucket("b00"),
        })
        .await
        .unwrap();
    assert_eq!(
        r,
        Err(tessera_types::meta::MetaError::BucketAlreadyOwnedByYou)
    );
    node.shutdown().await.unwrap();
}

/// The directory of the crashing child's node (set only for the child).
const CRASH_DIR: &str = "TESSERA_TEST_CRASH_DIR";
const CRASH_WRITES: usize = 75;

async fn create_buckets(node: &MetaNode, range: std::ops::Range<usize>) {
    for i in range {
        let r = node
            .write(Command::CreateBucket {
                bucket: bucket(&format!("b{i:02}")),
            })
            .await
            .unwrap();
        assert_eq!(r, Ok(CommandReply::Done));
    }
}

/// Waits until the node has purged its log behind a snapshot.
async fn wait_for_purge(node: &MetaNode) {
    let mut metrics = node.raft().metrics();
    tokio::time::timeout(Duration::from_secs(10), async {
        while metrics.borrow_and_update().purged.is_none() {
            metrics.changed().await.unwrap();
        }
    })
    .await
    .unwrap();
}

/// The crashing process: writes past a snapshot and a log purge, then
/// aborts with the state machine's latest writes only in memory (they are
/// written without the WAL). Run by [`acknowledged_writes_survive_a_crash`].
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the child process of acknowledged_writes_survive_a_crash"]
async fn crash_child() {
    let Some(dir) = std::env::var_os(CRASH_DIR) else {
        return;
    };
    let node = start(Path::new(&dir), "127.0.0.1:1").await;
    node.wait_for_leader(Duration::from_secs(10)).await.unwrap();
    create_buckets(&node, 0..60).await;
    wait_for_purge(&node).await;
    create_buckets(&node, 60..CRASH_WRITES).await;
    println!("acknowledged {CRASH_WRITES}");
    std::process::abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Process::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_child", "--ignored", "--nocapture"])
        .env(CRASH_DIR, dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the crashing child did not finish");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    assert!(!status.success(), "the child should abort: {out}");
    assert!(
        out.contains(&format!("acknowledged {CRASH_WRITES}")),
        "the child did not write: {out}"
    );

    let node = start(dir.path(), "127.0.0.1:1").await;
    node.wait_for_leader(Duration::from_secs(10)).await.unwrap();
    let Ok(QueryReply::Buckets(b)) = node.read(Query::ListBuckets, true).await.unwrap() else {
        panic!()
    };
    let names: Vec<String> = b.into_iter().map(|b| b.name).collect();
    let expected: Vec<String> = (0..CRASH_WRITES).map(|i| format!("b{i:02}")).collect();
    assert_eq!(names, expected);
    node.shutdown().await.unwrap();
}
