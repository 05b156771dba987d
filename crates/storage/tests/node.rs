//! Storage node behaviour on real directories: durability, corruption
//! detection, identity.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tessera_storage::{layout, Error, StorageConfig, StorageNode};
use tessera_types::{BlockId, ShardId};

fn cfg(dirs: &[PathBuf]) -> StorageConfig {
    StorageConfig {
        data_dirs: dirs.to_vec(),
        zone: "z1".into(),
    }
}

fn dirs(root: &Path, n: usize) -> Vec<PathBuf> {
    (0..n).map(|i| root.join(format!("d{i}"))).collect()
}

fn shard(index: u8) -> ShardId {
    ShardId {
        block: BlockId::random(),
        index,
    }
}

fn hash(data: &[u8]) -> [u8; 32] {
    *blake3::hash(data).as_bytes()
}

async fn put(node: &StorageNode, id: ShardId, data: &[u8]) {
    node.put_shard(id, Bytes::copy_from_slice(data), hash(data))
        .await
        .unwrap();
}

/// The file holding `id`, wherever it is.
fn shard_file(node: &StorageNode, id: &ShardId) -> PathBuf {
    node.data_dirs()
        .iter()
        .map(|d| d.join(layout::relative_path(id)))
        .find(|p| p.exists())
        .expect("shard file exists")
}

#[tokio::test]
async fn put_get_round_trip_and_usage() {
    let tmp = tempfile::tempdir().unwrap();
    let node = StorageNode::open(cfg(&dirs(tmp.path(), 1))).await.unwrap();
    assert_eq!(node.zone(), "z1");
    let mut total = 0;
    // Short shards go through the page cache; longer ones are written
    // directly, from an aligned copy of these heap bytes or, for the
    // page-aligned buffers the erasure coder cuts shards from, in place.
    let sizes = [
        0usize,
        1,
        4096,
        65_536 + 1000,
        1 << 20,
        (1 << 20) + 4096 + 7,
    ];
    for (i, len) in sizes.into_iter().enumerate() {
        let data: Vec<u8> = (0..len).map(|b| (b * 31 + i) as u8).collect();
        let id = shard(i as u8);
        if i % 2 == 0 {
            put(&node, id, &data).await;
        } else {
            let mut pages = tessera_erasure::PageBuf::with_capacity(len.max(1)).unwrap();
            pages.extend_from_slice(&data);
            let bytes = pages.freeze();
            node.put_shard(id, bytes, hash(&data)).await.unwrap();
        }
        let file = std::fs::read(shard_file(&node, &id)).unwrap();
        assert_eq!(&file[..len], &data[..], "size {len}");
        assert_eq!(
            &file[len..],
            &layout::encode_trailer(len as u64, &hash(&data))
        );
        assert_eq!(node.get_shard(id).await.unwrap(), data);
        let (_, h) = node.read_shard(id).await.unwrap();
        assert_eq!(h, hash(&data));
        total += (layout::FRAME_LEN + len) as u64;
    }
    let status = node.status().await.unwrap();
    assert_eq!(status.node_id, node.node_id());
    assert_eq!(status.shard_count, sizes.len() as u64);
    assert_eq!(status.used_bytes, total);
    assert!(status.capacity_bytes > 0);
    assert!(status.available_bytes <= status.capacity_bytes);
    assert!(matches!(
        node.get_shard(shard(0)).await,
        Err(Error::NotFound(_))
    ));
}

#[tokio::test]
async fn overwrite_replaces_the_shard() {
    let tmp = tempfile::tempdir().unwrap();
    let node = StorageNode::open(cfg(&dirs(tmp.path(), 1))).await.unwrap();
    let id = shard(1);
    put(&node, id, b"first version").await;
    put(&node, id, b"second").await;
    assert_eq!(&node.get_shard(id).await.unwrap()[..], b"second");
    let status = node.status().await.unwrap();
    assert_eq!(status.shard_count, 1);
    assert_eq!(status.used_bytes, (layout::FRAME_LEN + 6) as u64);
}

#[tokio::test]
async fn shards_and_identity_survive_reopen() {
    let tmp = tempfile::tempdir().unwrap();
    let d = dirs(tmp.path(), 2);
    let id = shard(3);
    let node = StorageNode::open(cfg(&d)).await.unwrap();
    let node_id = node.node_id();
    assert_ne!(node_id, 0);
    put(&node, id, b"durable").await;
    drop(node);

    // Every directory records the id.
    for dir in &d {
        let text = std::fs::read_to_string(dir.join("node.id")).unwrap();
        assert_eq!(text.trim().parse::<u64>().unwrap(), node_id);
    }
    let node = StorageNode::open(cfg(&d)).await.unwrap();
    assert_eq!(node.node_id(), node_id);
    assert_eq!(&node.get_shard(id).await.unwrap()[..], b"durable");
    assert_eq!(node.status().await.unwrap().shard_count, 1);
    drop(node);

    // A shard stays reachable when the directory list changes.
    let mut more = d.clone();
    more.insert(0, tmp.path().join("new"));
    let node = StorageNode::open(cfg(&more)).await.unwrap();
    assert_eq!(node.node_id(), node_id);
    assert_eq!(&node.get_shard(id).await.unwrap()[..], b"durable");
    assert_eq!(node.delete_shards(&[id]).await.unwrap(), 1);
}

#[tokio::test]
async fn flipped_byte_is_corrupt() {
    let tmp = tempfile::tempdir().unwrap();
    let node = StorageNode::open(cfg(&dirs(tmp.path(), 1))).await.unwrap();
    let id = shard(0);
    put(&node, id, &[7u8; 1000]).await;
    let path = shard_file(&node, &id);
    let mut bytes = std::fs::read(&path).unwrap();
    // A byte of the data, which starts at offset 0.
    bytes[500] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    assert!(matches!(
        node.get_shard(id).await,
        Err(Error::Corrupt { .. })
    ));

    // A damaged trailer is corrupt too.
    put(&node, id, &[7u8; 1000]).await;
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] = b'X';
    std::fs::write(&path, &bytes).unwrap();
    assert!(matches!(
        node.get_shard(id).await,
        Err(Error::Corrupt { .. })
    ));
}

#[tokio::test]
async fn files_of_the_first_format_are_still_read() {
    let tmp = tempfile::tempdir().unwrap();
    let node = StorageNode::open(cfg(&dirs(tmp.path(), 1))).await.unwrap();
    let id = shard(0);
    put(&node, id, b"placeholder").await;
    let path = shard_file(&node, &id);
    drop(node);
    // A shard file as releases before format 2 wrote it: header, then data.
    let data = vec![5u8; 70_000];
    let mut v1 = layout::encode_header_v1(data.len() as u64, &hash(&data)).to_vec();
    v1.extend_from_slice(&data);
    std::fs::write(&path, &v1).unwrap();

    let node = StorageNode::open(cfg(&dirs(tmp.path(), 1))).await.unwrap();
    assert_eq!(node.status().await.unwrap().used_bytes, v1.len() as u64);
    assert_eq!(node.get_shard(id).await.unwrap(), data);
    assert_eq!(node.read_shard_unhashed(id).await.unwrap().1, hash(&data));
    // Rewritten, it is stored in the current format.
    put(&node, id, &data).await;
    let file = std::fs::read(&path).unwrap();
    assert_eq!(&file[..data.len()], &data[..]);
    assert_eq!(node.get_shard(id).await.unwrap(), data);
}

#[tokio::test]
async fn truncated_file_is_corrupt() {
    let tmp = tempfile::tempdir().unwrap();
    let node = StorageNode::open(cfg(&dirs(tmp.path(), 1))).await.unwrap();
    for cut in [layout::FRAME_LEN + 10, 20, 0] {
        let id = shard(0);
        put(&node, id, &[9u8; 100]).await;
        let path = shard_file(&node, &id);
        let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len(cut as u64).unwrap();
        let err = node.get_shard(id).await.unwrap_err();
        assert!(matches!(err, Error::Corrupt { .. }), "cut at {cut}: {err}");
    }
}

#[tokio::test]
async fn hash_mismatch_is_rejected_and_nothing_stored() {
    let tmp = tempfile::tempdir().unwrap();
    let node = StorageNode::open(cfg(&dirs(tmp.path(), 1))).await.unwrap();
    let id = shard(0);
    let err = node
        .put_shard(id, Bytes::from_static(b"data"), hash(b"other"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::HashMismatch(_)), "{err}");
    assert!(matches!(node.get_shard(id).await, Err(Error::NotFound(_))));
    assert_eq!(node.status().await.unwrap().shard_count, 0);
}

#[tokio::test]
async fn delete_is_idempotent() {
    let tmp = tempfile::tempdir().unwrap();
    let node = StorageNode::open(cfg(&dirs(tmp.path(), 2))).await.unwrap();
    let (a, b, absent) = (shard(0), shard(1), shard(2));
    put(&node, a, b"a").await;
    put(&node, b, b"b").await;
    assert_eq!(node.delete_shards(&[a, b, absent]).await.unwrap(), 2);
    assert_eq!(node.delete_shards(&[a, b, absent]).await.unwrap(), 0);
    assert_eq!(node.delete_shards(&[]).await.unwrap(), 0);
    assert!(matches!(node.get_shard(a).await, Err(Error::NotFound(_))));
    let status = node.status().await.unwrap();
    assert_eq!((status.shard_count, status.used_bytes), (0, 0));
}

#[tokio::test]
async fn several_data_dirs_are_all_used() {
    let tmp = tempfile::tempdir().unwrap();
    let d = dirs(tmp.path(), 3);
    let node = StorageNode::open(cfg(&d)).await.unwrap();
    let ids: Vec<ShardId> = (0..60).map(|_| shard(0)).collect();
    for id in &ids {
        put(&node, *id, id.block.to_hex().as_bytes()).await;
    }
    for dir in &d {
        let used = ids
            .iter()
            .filter(|id| dir.join(layout::relative_path(id)).exists())
            .count();
        assert!(
            used >= 5,
            "{} holds only {used} of 60 shards",
            dir.display()
        );
    }
    for id in &ids {
        assert_eq!(
            node.get_shard(*id).await.unwrap(),
            id.block.to_hex().as_bytes()
        );
    }
}

#[tokio::test]
async fn concurrent_puts_of_the_same_and_different_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let node = StorageNode::open(cfg(&dirs(tmp.path(), 2))).await.unwrap();
    let same = shard(0);
    let mut tasks = Vec::new();
    for i in 0..32u8 {
        let node = Arc::clone(&node);
        tasks.push(tokio::spawn(async move {
            let data = vec![i; 10_000];
            put(&node, same, &data).await;
            let own = shard(i);
            put(&node, own, &data).await;
            assert_eq!(node.get_shard(own).await.unwrap(), data);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    // The shared shard holds one writer's complete data.
    let got = node.get_shard(same).await.unwrap();
    assert!(got.iter().all(|&b| b == got[0]));
    assert_eq!(node.status().await.unwrap().shard_count, 33);
}

#[tokio::test]
async fn interrupted_writes_are_cleaned_at_start() {
    let tmp = tempfile::tempdir().unwrap();
    let d = dirs(tmp.path(), 1);
    let node = StorageNode::open(cfg(&d)).await.unwrap();
    drop(node);
    let stray = d[0].join("shards/ab/.abc.1.7.tmp");
    std::fs::write(&stray, b"partial").unwrap();
    let node = StorageNode::open(cfg(&d)).await.unwrap();
    assert!(!stray.exists());
    assert_eq!(node.status().await.unwrap().shard_count, 0);
}

#[tokio::test]
async fn refuses_foreign_locked_and_bad_dirs() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let node_a = StorageNode::open(cfg(std::slice::from_ref(&a)))
        .await
        .unwrap();

    // The directory is locked while node A runs.
    let err = StorageNode::open(cfg(std::slice::from_ref(&a)))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Locked(_)), "{err}");
    drop(node_a);

    let node_b = StorageNode::open(cfg(std::slice::from_ref(&b)))
        .await
        .unwrap();
    drop(node_b);
    let err = StorageNode::open(cfg(&[a.clone(), b])).await.unwrap_err();
    assert!(matches!(err, Error::ForeignDirectory { .. }), "{err}");

    assert!(matches!(
        StorageNode::open(cfg(&[])).await,
        Err(Error::Config(_))
    ));
    assert!(matches!(
        StorageNode::open(cfg(&[a.clone(), a.clone()])).await,
        Err(Error::Config(_))
    ));
    std::fs::write(a.join("node.id"), "not a number").unwrap();
    assert!(matches!(
        StorageNode::open(cfg(&[a])).await,
        Err(Error::Config(_))
    ));
}
