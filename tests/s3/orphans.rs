//! The orphan sweep: shards no record places where they are (an
//! interrupted write's) are deleted; referenced ones never are.

use crate::nodes::{admin, counts, node_dir, node_id, wait_for_counts, wait_for_status};
use crate::{data, get, put};
use bytes::Bytes;
use serde_json::json;
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
