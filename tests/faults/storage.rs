//! Storage nodes under faults with EC 4+2 on 6 nodes: two nodes cut off
//! (hung, not refusing), a node stopped in the middle of a PUT, and bits
//! flipped in a shard file; and, with 2+1 on 6 nodes, the garbage collector
//! while a node is stopped.

use crate::{
    create_bucket, eventually, fully_redundant, get, node_ids, put, verify_all, Written, SIZES,
};
use std::time::Duration;
use tessera_test_harness::{data, shard_paths, Cluster, ClusterSpec};

/// Writes a multipart object of two parts (5 MiB and 1 MiB) through `c`.
async fn put_multipart(c: &aws_sdk_s3::Client, bucket: &str, key: &str, seed: u64) -> Vec<u8> {
    let body = data(6 * 1024 * 1024, seed);
    let parts: Vec<&[u8]> = body.chunks(5 * 1024 * 1024).collect();
    tessera_test_harness::put_multipart(c, bucket, key, &parts).await;
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_of_six_storage_nodes_lost_everything_reads_back() {
    let mut cluster = Cluster::start(ClusterSpec::default()).await;
    let c = cluster.client(0);
    create_bucket(&c, "bkt").await;
    let mut acked: Vec<Written> = (0..10)
        .map(|i| Written::new(format!("before-{i}"), i, SIZES[i as usize % 5]))
        .collect();
    for w in &acked {
        put(&c, "bkt", w).await.unwrap();
    }
    let multipart = put_multipart(&c, "bkt", "multipart", 99).await;

    // Two nodes stop answering, without refusing connections: every read
    // and write that touches them hangs until the cluster notices.
    cluster.net.isolate(&Cluster::storage_name(4));
    cluster.net.isolate(&Cluster::storage_name(5));
    verify_all(&cluster, "bkt", &acked).await;
    assert!(get(&c, "bkt", "multipart").await.unwrap() == Some(multipart.clone()));

    // Writes go on, degraded (4 of 6 shards).
    for i in 0..6 {
        let w = Written::new(format!("during-{i}"), 100 + i, SIZES[i as usize % 5]);
        put(&cluster.client(i as usize % 2), "bkt", &w)
            .await
            .unwrap();
        acked.push(w);
    }
    verify_all(&cluster, "bkt", &acked).await;

    // The two nodes are gone for good; two new ones join, and repair
    // brings every block back to 6 shards on live nodes.
    cluster.stop_storage(4).await;
    cluster.stop_storage(5).await;
    cluster.net.heal();
    let a = cluster.add_storage().await;
    let b = cluster.add_storage().await;
    let live = node_ids(&cluster, &[0, 1, 2, 3, a, b]).await;
    eventually(
        "repair restores full redundancy",
        Duration::from_secs(90),
        || fully_redundant(&cluster, &live),
    )
    .await;
    verify_all(&cluster, "bkt", &acked).await;
    assert!(get(&c, "bkt", "multipart").await.unwrap() == Some(multipart));
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn storage_node_stopped_mid_put() {
    let mut cluster = Cluster::start(ClusterSpec::default()).await;
    let c = cluster.client(0);
    create_bucket(&c, "bkt").await;
    // 24 MiB: about a hundred 256 KiB blocks, so the stop lands mid-PUT.
    let big = Written::new("big", 7, 24 * 1024 * 1024);
    let upload = {
        let c = c.clone();
        let big = big.clone();
        tokio::spawn(async move { put(&c, "bkt", &big).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    cluster.stop_storage(2).await;
    let outcome = upload.await.unwrap();
    // With 5 of 6 nodes left, a 4+2 write has its quorum: the PUT succeeds.
    outcome.unwrap_or_else(|e| panic!("PUT with a node lost mid-way: {e}"));
    verify_all(&cluster, "bkt", std::slice::from_ref(&big)).await;

    // A replacement joins; the blocks written degraded are repaired.
    let n = cluster.add_storage().await;
    let live = node_ids(&cluster, &[0, 1, 3, 4, 5, n]).await;
    eventually(
        "repair restores full redundancy",
        Duration::from_secs(90),
        || fully_redundant(&cluster, &live),
    )
    .await;
    verify_all(&cluster, "bkt", &[big]).await;
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn flipped_bits_are_detected_and_repaired() {
    let cluster = Cluster::start(ClusterSpec {
        scrub_interval_secs: 1,
        ..ClusterSpec::default()
    })
    .await;
    let c = cluster.client(0);
    create_bucket(&c, "bkt").await;
    let w = Written::new("rot", 5, 300_000);
    put(&c, "bkt", &w).await.unwrap();

    // Flip one bit in every shard file of one node.
    let files = shard_paths(&cluster.storage_dir(1));
    assert!(!files.is_empty(), "storage2 holds no shard");
    let mut originals = Vec::new();
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let mut bad = bytes.clone();
        let mid = bad.len() / 2;
        bad[mid] ^= 0x01;
        std::fs::write(f, &bad).unwrap();
        originals.push((f.clone(), bytes));
    }
    // Never served: reads rebuild from the other shards.
    verify_all(&cluster, "bkt", std::slice::from_ref(&w)).await;
    // Scrub finds every bad shard and rewrites it.
    eventually(
        "scrub rewrites the corrupt shards",
        Duration::from_secs(60),
        || {
            let originals = &originals;
            // The only node without another shard of the block is the one
            // that lost it, so the good copy lands where the bad one was.
            async move {
                originals
                    .iter()
                    .all(|(f, good)| std::fs::read(f).is_ok_and(|b| &b == good))
            }
        },
    )
    .await;
    verify_all(&cluster, "bkt", &[w]).await;
    cluster.shutdown().await;
}

/// The GC worker frees what it can while a storage node is down: entries
/// whose shards avoid the node are freed, the others wait for it (no entry
/// is acknowledged with a shard left behind), and go once it is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn gc_frees_around_a_stopped_node() {
    let mut cluster = Cluster::start(ClusterSpec {
        profile: "2+1",
        ..ClusterSpec::default()
    })
    .await;
    let c = cluster.client(0);
    create_bucket(&c, "gcb").await;
    let meta = cluster.inspector();
    let stopped = node_ids(&cluster, &[0]).await;
    // 2+1 on 6 nodes: each object's block is on 3 of them.
    let mut on_stopped = 0;
    let objects: Vec<Written> = (0..20)
        .map(|i| Written::new(format!("o{i}"), i, SIZES[2]))
        .collect();
    for w in &objects {
        put(&c, "gcb", w).await.unwrap();
        let record = meta.get_object("gcb", &w.key).await.unwrap().unwrap();
        let touches = record
            .blocks()
            .flat_map(|b| b.shards.iter().flatten())
            .any(|s| stopped.contains(&s.node));
        on_stopped += usize::from(touches);
    }
    assert!(on_stopped > 0 && on_stopped < objects.len(), "{on_stopped}");

    cluster.stop_storage(0).await;
    for w in &objects {
        c.delete_object()
            .bucket("gcb")
            .key(&w.key)
            .send()
            .await
            .unwrap();
    }
    let queued = || async { meta.list_gc(1000).await.unwrap().len() };
    eventually(
        "gc frees the objects that avoid the stopped node",
        Duration::from_secs(30),
        || async { queued().await == on_stopped },
    )
    .await;
    cluster.start_storage(0).await;
    eventually(
        "gc frees the rest once the node is back",
        Duration::from_secs(90),
        || async { queued().await == 0 },
    )
    .await;
    cluster.shutdown().await;
}
