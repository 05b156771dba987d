//! Repair from the queue: a block written with a missing shard (a degraded
//! PUT, or a degraded part of an upload still in progress) is rebuilt
//! within seconds, without waiting for a full repair pass.

use crate::nodes::{break_node, wait_for_counts, wait_for_status};
use crate::{data, get, put};
use aws_sdk_s3::primitives::ByteStream;
use serde_json::json;
use tessera_test_harness::{test_config, TestServer};

/// A server whose full repair passes are an hour apart, so that whatever
/// gets repaired during a test was repaired from the queue.
async fn queue_only_server(dir: &std::path::Path) -> TestServer {
    let mut cfg = test_config(dir);
    cfg.worker.repair_interval_secs = 3600;
    cfg.worker.repair_queue_interval_secs = 1;
    TestServer::start_with(cfg).await
}

#[tokio::test]
async fn degraded_put_is_repaired_from_the_queue() {
    let dir = tempfile::tempdir().unwrap();
    let s = queue_only_server(dir.path()).await;
    let c = s.client();
    c.create_bucket().bucket("rqput").send().await.unwrap();

    // Node 2 fails its writes: each of the 3 blocks (2+1) lands on the
    // other two nodes only.
    let broken = break_node(&s, 2);
    let body = data(600 * 1024, 5);
    put(&c, "rqput", "k", body.clone()).await;
    assert_eq!(crate::nodes::counts(&s, 3), vec![3, 0, 3]);
    wait_for_status(&s, "/repair_queue_length", json!(3)).await;

    // Once it takes writes again, the queue brings it its shards.
    broken.restore();
    wait_for_counts(&s, &[3, 3, 3]).await;
    let status = wait_for_status(&s, "/repair_queue_length", json!(0)).await;
    assert_eq!(status["repair"], json!(null), "no full pass ran: {status}");
    assert_eq!(
        status["repair_queue"]["blocks_repaired"],
        json!(3),
        "{status}"
    );

    // The rebuilt shards are recorded: with node 1 failing, node 2's shards
    // and node 3's are enough to read the object.
    let broken = break_node(&s, 1);
    assert_eq!(get(&c, "rqput", "k").await, body);
    broken.restore();
}

#[tokio::test]
async fn degraded_part_is_repaired_before_the_upload_completes() {
    let dir = tempfile::tempdir().unwrap();
    let s = queue_only_server(dir.path()).await;
    let c = s.client();
    c.create_bucket().bucket("rqpart").send().await.unwrap();
    let up = c
        .create_multipart_upload()
        .bucket("rqpart")
        .key("big")
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap();

    let broken = break_node(&s, 3);
    let body = data(300 * 1024, 8); // 2 blocks
    let part = c
        .upload_part()
        .bucket("rqpart")
        .key("big")
        .upload_id(id)
        .part_number(1)
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(crate::nodes::counts(&s, 3), vec![2, 2, 0]);
    wait_for_status(&s, "/repair_queue_length", json!(2)).await;

    broken.restore();
    wait_for_counts(&s, &[2, 2, 2]).await;
    wait_for_status(&s, "/repair_queue_length", json!(0)).await;

    tessera_test_harness::complete_upload(&c, "rqpart", "big", id, &[part.e_tag().unwrap().into()])
        .await;
    assert_eq!(get(&c, "rqpart", "big").await, body);
    // The object records the rebuilt shards: node 3's shards stand in for
    // those of a failing node 1.
    let broken = break_node(&s, 1);
    assert_eq!(get(&c, "rqpart", "big").await, body);
    broken.restore();
    assert_eq!(crate::nodes::counts(&s, 3), vec![2, 2, 2]);
}
