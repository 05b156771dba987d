//! Space is given back: the shards of overwritten, deleted and aborted data
//! are removed by the GC worker.

use crate::{data, put, setup};
use aws_sdk_s3::primitives::ByteStream;
use std::time::{Duration, Instant};
use tessera_test_harness::TestServer;

/// Waits (bounded) until the storage nodes hold `want` shard files.
async fn wait_for_shards(s: &TestServer, want: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let n = s.shard_files();
        if n == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{n} shard files, expected {want}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn overwritten_and_deleted_objects_are_freed() {
    let (s, c) = setup("gcb").await;
    // 1 MiB at 256 KiB blocks, 2+1: 4 blocks of 3 shards.
    put(&c, "gcb", "k", data(1024 * 1024, 1)).await;
    assert_eq!(s.shard_files(), 12);
    put(&c, "gcb", "k", data(300 * 1024, 2)).await; // 2 blocks
    wait_for_shards(&s, 6).await;
    put(&c, "gcb", "k", "small enough to live inline").await;
    wait_for_shards(&s, 0).await;
    put(&c, "gcb", "k2", data(600 * 1024, 3)).await; // 3 blocks
    assert_eq!(s.shard_files(), 9);
    c.delete_object()
        .bucket("gcb")
        .key("k2")
        .send()
        .await
        .unwrap();
    wait_for_shards(&s, 0).await;
}

#[tokio::test]
async fn aborted_and_unused_parts_are_freed() {
    let (s, c) = setup("gcm").await;
    let up = c
        .create_multipart_upload()
        .bucket("gcm")
        .key("k")
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap();
    for n in 1..=2 {
        c.upload_part()
            .bucket("gcm")
            .key("k")
            .upload_id(id)
            .part_number(n)
            .body(ByteStream::from(data(300 * 1024, n as u64)))
            .send()
            .await
            .unwrap();
    }
    assert_eq!(s.shard_files(), 12);
    // Re-uploading a part frees the part it replaces.
    c.upload_part()
        .bucket("gcm")
        .key("k")
        .upload_id(id)
        .part_number(2)
        .body(ByteStream::from(data(100 * 1024, 9)))
        .send()
        .await
        .unwrap();
    wait_for_shards(&s, 9).await;
    c.abort_multipart_upload()
        .bucket("gcm")
        .key("k")
        .upload_id(id)
        .send()
        .await
        .unwrap();
    wait_for_shards(&s, 0).await;
}
