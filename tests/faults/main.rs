//! Fault tests: in-process clusters (3 meta, 6 storage under EC 4+2, 2
//! gateways, see `tessera_test_harness::Cluster`) whose nodes talk through a
//! fault-injecting network, driven by `aws-sdk-s3` with default settings.
//! Each test proves that no acknowledged object is lost, that nothing
//! partial is ever visible, and that the cluster recovers.

#![allow(clippy::unwrap_used)]

mod meta;
mod replication;
mod storage;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;
use tessera_test_harness::{data, Cluster, TIMEOUT};

/// Sizes that cover inline data, one partial block and several blocks
/// (tests run with 256 KiB blocks).
pub const SIZES: [usize; 5] = [1, 3_000, 70_000, 300_000, 1_100_000];

/// An object a test wrote: its key, the seed of its bytes and its size.
#[derive(Clone, Debug)]
pub struct Written {
    pub key: String,
    pub seed: u64,
    pub len: usize,
}

impl Written {
    pub fn new(key: impl Into<String>, seed: u64, len: usize) -> Written {
        Written {
            key: key.into(),
            seed,
            len,
        }
    }
    pub fn body(&self) -> Vec<u8> {
        data(self.len, self.seed)
    }
}

pub async fn create_bucket(c: &Client, bucket: &str) {
    c.create_bucket().bucket(bucket).send().await.unwrap();
}

/// PUTs `w`; `Err` with the reason when the SDK gave up.
pub async fn put(c: &Client, bucket: &str, w: &Written) -> Result<(), String> {
    let put = c
        .put_object()
        .bucket(bucket)
        .key(&w.key)
        .body(ByteStream::from(w.body()))
        .send();
    match tokio::time::timeout(TIMEOUT, put).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!("{e:?}")),
        Err(_) => Err("timed out".into()),
    }
}

/// GETs an object: `Ok(None)` when it does not exist.
pub async fn get(c: &Client, bucket: &str, key: &str) -> Result<Option<Vec<u8>>, String> {
    let get = async {
        match c.get_object().bucket(bucket).key(key).send().await {
            Ok(o) => o
                .body
                .collect()
                .await
                .map(|b| Some(b.into_bytes().to_vec()))
                .map_err(|e| format!("body: {e}")),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
            Err(e) => Err(format!("{e:?}")),
        }
    };
    tokio::time::timeout(TIMEOUT, get)
        .await
        .unwrap_or_else(|_| Err("timed out".into()))
}

/// Every object in `acked` reads back byte-exact through every gateway.
pub async fn verify_all(cluster: &Cluster, bucket: &str, acked: &[Written]) {
    for g in 0..cluster.spec.gateways {
        let c = cluster.client(g);
        for w in acked {
            let got = get(&c, bucket, &w.key)
                .await
                .unwrap_or_else(|e| panic!("gateway{} GET {}: {e}", g + 1, w.key));
            let got = got.unwrap_or_else(|| panic!("acknowledged {} is missing", w.key));
            assert!(
                got == w.body(),
                "{} differs through gateway{}",
                w.key,
                g + 1
            );
        }
    }
}

/// An object whose PUT was not acknowledged either does not exist or is
/// complete: never partial.
pub async fn verify_not_partial(cluster: &Cluster, bucket: &str, unacked: &[Written]) {
    let c = cluster.client(0);
    for w in unacked {
        if let Some(got) = get(&c, bucket, &w.key).await.unwrap() {
            assert!(got == w.body(), "unacknowledged {} is partial", w.key);
        }
    }
}

/// Polls `check` until it returns true, failing after `limit`.
pub async fn eventually<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if check().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not within {limit:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Whether every block (of every object and upload, the tests use one
/// bucket) has all its shards on nodes of `live` (node ids).
pub async fn fully_redundant(cluster: &Cluster, live: &HashSet<u64>) -> bool {
    let meta = cluster.inspector();
    let Ok(blocks) = meta.scan_blocks(None, 100_000).await else {
        return false;
    };
    !blocks.is_empty()
        && blocks.iter().all(|b| {
            b.block
                .shards
                .iter()
                .all(|r| r.as_ref().is_some_and(|r| live.contains(&r.node)))
        })
}

/// The node ids of the storage nodes with the given indexes.
pub async fn node_ids(cluster: &Cluster, indexes: &[usize]) -> HashSet<u64> {
    let nodes = cluster.inspector().list_nodes().await.unwrap();
    indexes
        .iter()
        .map(|&i| {
            let addr = cluster.storage_addr(i).to_string();
            nodes
                .iter()
                .find(|n| n.addr == addr)
                .unwrap_or_else(|| panic!("storage{} is not in the cluster map", i + 1))
                .id
        })
        .collect()
}
