//! The orphan sweep, and retiring a storage node: shards no record places
//! where they are (an interrupted write's, or those left on a removed node
//! once repair moved its blocks) are deleted; referenced ones never are.

use crate::nodes::{
    admin, counts, node_dir, node_id, shard_files, wait_for_counts, wait_for_status,
};
use crate::{data, get, put};
use bytes::Bytes;
use serde_json::json;
use std::path::Path;
use std::time::Duration;
use tessera_storage_client::StorageClient;
use tessera_test_harness::{test_config, TestServer, TIMEOUT};
use tessera_types::{BlockId, ShardId};
use tessera_util::Config;

/// The configuration of the second half of each test: a sweep every
/// second, sparing no shard for its age. Safe here because nothing writes
/// shards any more (a sweep without grace would race with writes).
fn sweeping(mut cfg: Config) -> Config {
    cfg.worker.orphan_sweep_interval_secs = 1;
    cfg.worker.orphan_grace_secs = 0;
    cfg
}

/// The gRPC address of storage node `id`, from the cluster status.
async fn storage_addr(s: &TestServer, id: u64) -> String {
    let status = admin(s).cluster_status().await.unwrap();
    status
        .storage
        .iter()
        .find(|n| n.node_id == id)
        .map(|n| n.addr.clone())
        .unwrap()
}

#[tokio::test]
async fn orphan_shard_is_swept_and_referenced_ones_stay() {
    let dir = tempfile::tempdir().unwrap();
    let s = TestServer::start_in(dir.path()).await;
    let c = s.client();
    c.create_bucket().bucket("orph").send().await.unwrap();
    let body = data(600 * 1024, 3);
    put(&c, "orph", "k", body.clone()).await;
    assert_eq!(counts(&s, 3), vec![3, 3, 3]);

    // A shard of a block no record holds, as a gateway that died before
    // committing its PUT leaves behind.
    let orphan = ShardId {
        block: BlockId::random(),
        index: 1,
    };
    let node = StorageClient::connect_lazy(&storage_addr(&s, node_id(&s, 1)).await).unwrap();
    let shard = Bytes::from_static(b"never committed");
    let hash = *blake3::hash(&shard).as_bytes();
    tokio::time::timeout(TIMEOUT, node.put_shard(orphan, shard, hash))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(counts(&s, 3), vec![4, 3, 3]);
    let orphan_file = node_dir(&s, 1).join(tessera_storage::layout::relative_path(&orphan));
    assert!(orphan_file.exists());
    s.stop().await;

    let s = TestServer::start_with(sweeping(test_config(dir.path()))).await;
    wait_for_counts(&s, &[3, 3, 3]).await;
    assert!(!orphan_file.exists());
    let status = wait_for_status(&s, "/gc/orphan_sweep_totals/orphans_deleted", json!(1)).await;
    assert_eq!(
        status["gc"]["orphan_sweep_totals"]["stale_deleted"],
        json!(0)
    );
    // Later sweeps find nothing more to delete.
    wait_for_status(&s, "/gc/orphan_sweep/shards_listed", json!(9)).await;
    assert_eq!(counts(&s, 3), vec![3, 3, 3]);
    assert_eq!(get(&s.client(), "orph", "k").await, body);
    s.stop().await;
}

/// Four storage nodes (room to move a removed node's shards), fast
/// heartbeats and repair passes every second.
fn four_nodes(dir: &Path) -> Config {
    let mut cfg = test_config(dir);
    cfg.storage.nodes = 4;
    cfg.storage.heartbeat_secs = 1;
    cfg.engine.node_timeout_secs = 3;
    cfg.worker.repair_interval_secs = 1;
    cfg.worker.repair_queue_interval_secs = 1;
    cfg
}

#[tokio::test]
async fn removed_node_is_drained_by_repair_then_swept() {
    let dir = tempfile::tempdir().unwrap();
    let s = TestServer::start_with(four_nodes(dir.path())).await;
    let c = s.client();
    c.create_bucket().bucket("drain").send().await.unwrap();
    let body = data(1024 * 1024, 11); // 4 blocks of 3 shards on 4 nodes
    put(&c, "drain", "k", body.clone()).await;
    let before = counts(&s, 4);
    assert_eq!(before.iter().sum::<usize>(), 12);
    // Retire the node holding the most shards.
    let victim = (1..=4).max_by_key(|n| before[n - 1]).unwrap();
    let held = before[victim - 1];
    assert!(held > 0);
    let id = node_id(&s, victim);

    let admin = admin(&s);
    let err = admin.remove_storage_node(12345).await.unwrap_err();
    assert!(err.to_string().contains("404"), "{err}");
    let status = admin.remove_storage_node(id).await.unwrap();
    let state = |st: &tessera_gateway::admin::ClusterStatus| {
        st.storage
            .iter()
            .find(|n| n.node_id == id)
            .map(|n| n.state.clone())
            .unwrap()
    };
    assert_eq!(state(&status), "removed");

    // Repair rebuilds its shards on the other nodes; its own copies stay
    // until the sweep (off so far) finds them stale.
    crate::nodes::eventually(Duration::from_secs(30), || async {
        let now = counts(&s, 4);
        let elsewhere: usize = (1..=4).filter(|n| *n != victim).map(|n| now[n - 1]).sum();
        if elsewhere == 12 && now[victim - 1] == held {
            Ok(())
        } else {
            Err(format!("shard files per node {now:?}"))
        }
    })
    .await;
    wait_for_status(&s, "/blocks_below_full_redundancy", json!(0)).await;
    // Its heartbeats (every second) do not bring it back.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(state(&admin.cluster_status().await.unwrap()), "removed");
    assert_eq!(get(&c, "drain", "k").await, body);
    s.stop().await;

    // Restarted with the sweep on: the node registers again, stays
    // removed, and loses every shard it still holds.
    let s = TestServer::start_with(sweeping(four_nodes(dir.path()))).await;
    assert_eq!(
        state(&crate::nodes::admin(&s).cluster_status().await.unwrap()),
        "removed"
    );
    crate::nodes::eventually(Duration::from_secs(30), || async {
        let now = counts(&s, 4);
        if now[victim - 1] == 0 && now.iter().sum::<usize>() == 12 {
            Ok(())
        } else {
            Err(format!("shard files per node {now:?}"))
        }
    })
    .await;
    assert!(shard_files(&s, victim).is_empty());
    let status = wait_for_status(
        &s,
        "/gc/orphan_sweep_totals/stale_deleted",
        json!(held as u64),
    )
    .await;
    assert_eq!(
        status["gc"]["orphan_sweep_totals"]["orphans_deleted"],
        json!(0)
    );
    assert_eq!(get(&s.client(), "drain", "k").await, body);
    s.stop().await;
}
