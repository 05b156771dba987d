//! The storage node's gRPC service over a real loopback socket, driven by
//! tessera-storage-client.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use std::sync::Arc;
use tessera_proto::storage::v1::storage_client::StorageClient as RawClient;
use tessera_proto::storage::v1::{GetShardRequest, PutShardRequest, ShardKey};
use tessera_storage::{layout, serve, StorageConfig, StorageNode};
use tessera_storage_client::{Error, StorageClient};
use tessera_types::{BlockId, ShardId};
use tokio::sync::oneshot;

struct Server {
    node: Arc<StorageNode>,
    addr: String,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<tessera_storage::Result<()>>,
    _tmp: tempfile::TempDir,
}

async fn start() -> Server {
    let tmp = tempfile::tempdir().unwrap();
    let node = StorageNode::open(StorageConfig {
        data_dirs: vec![tmp.path().join("a"), tmp.path().join("b")],
        zone: "zone-a".into(),
    })
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(node.clone(), listener, async {
        let _ = stopped.await;
    }));
    Server {
        node,
        addr,
        stop: Some(stop),
        task,
        _tmp: tmp,
    }
}

fn shard(index: u8) -> ShardId {
    ShardId {
        block: BlockId::random(),
        index,
    }
}

fn hash(d: &[u8]) -> [u8; 32] {
    *blake3::hash(d).as_bytes()
}

/// Stores `data` as shard `id` and reads it back, checked against its hash.
async fn put_and_read_back(client: &StorageClient, id: ShardId, data: &[u8]) {
    client
        .put_shard(id, Bytes::copy_from_slice(data), hash(data))
        .await
        .unwrap();
    assert_eq!(
        client.get_shard_expecting(id, hash(data)).await.unwrap(),
        data
    );
}

/// Flips the last byte of shard `id`'s file on `node`.
fn damage_on_disk(node: &StorageNode, id: &ShardId) {
    let path = node
        .data_dirs()
        .iter()
        .map(|d| d.join(layout::relative_path(id)))
        .find(|p| p.exists())
        .unwrap();
    let mut raw = std::fs::read(&path).unwrap();
    let last = raw.len() - 1;
    raw[last] ^= 0xff;
    std::fs::write(&path, raw).unwrap();
}

#[tokio::test]
async fn put_get_delete_status_over_grpc() {
    let mut server = start().await;
    let client = StorageClient::connect_lazy(&server.addr).unwrap();
    assert_eq!(client.addr(), server.addr);

    // A shard bigger than tonic's 4 MiB default message limit.
    let big: Vec<u8> = (0..(6 << 20)).map(|i: u32| (i % 251) as u8).collect();
    let id = shard(2);
    client
        .put_shard(id, Bytes::from(big.clone()), hash(&big))
        .await
        .unwrap();
    assert_eq!(client.get_shard(id).await.unwrap(), big);
    assert_eq!(server.node.get_shard(id).await.unwrap(), big);

    let status = client.node_status().await.unwrap();
    assert_eq!(status.node_id, server.node.node_id());
    assert_eq!(status.zone, "zone-a");
    assert_eq!(status.shard_count, 1);
    assert_eq!(status.used_bytes, (layout::FRAME_LEN + big.len()) as u64);
    assert!(status.capacity_bytes > 0);

    assert!(matches!(
        client.get_shard(shard(0)).await,
        Err(Error::NotFound)
    ));
    assert_eq!(client.delete_shards(&[id, shard(1)]).await.unwrap(), 1);
    assert_eq!(client.delete_shards(&[id]).await.unwrap(), 0);
    assert!(matches!(client.get_shard(id).await, Err(Error::NotFound)));

    server.stop.take().unwrap().send(()).unwrap();
    server.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn errors_map_to_grpc_codes() {
    let server = start().await;
    let client = StorageClient::connect_lazy(&format!("http://{}", server.addr)).unwrap();

    // Hash mismatch on put -> INVALID_ARGUMENT -> Rejected.
    let err = client
        .put_shard(shard(0), Bytes::from_static(b"x"), hash(b"y"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Rejected(_)), "{err:?}");

    // Corruption on disk -> DATA_LOSS -> Corrupt.
    let id = shard(1);
    client
        .put_shard(id, Bytes::from_static(b"payload"), hash(b"payload"))
        .await
        .unwrap();
    damage_on_disk(&server.node, &id);
    let err = client.get_shard(id).await.unwrap_err();
    assert!(matches!(err, Error::Corrupt(_)), "{err:?}");

    // Malformed requests -> INVALID_ARGUMENT.
    let mut raw = RawClient::connect(format!("http://{}", server.addr))
        .await
        .unwrap();
    let status = raw
        .get_shard(GetShardRequest { shard: None })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    let bad_key = ShardKey {
        block_id: Bytes::from_static(b"short"),
        index: 0,
    };
    let status = raw
        .put_shard(PutShardRequest {
            shard: Some(bad_key),
            data: Bytes::new(),
            blake3: Bytes::copy_from_slice(&hash(b"")),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    let status = raw
        .put_shard(PutShardRequest {
            shard: Some(shard(0).into()),
            data: Bytes::new(),
            blake3: Bytes::from_static(b"too short"),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
}

/// A shard that is intact on its node but not the one metadata records
/// (stale) is refused when the caller gives the expected hash.
#[tokio::test]
async fn get_shard_expecting_checks_the_metadata_hash() {
    let mut server = start().await;
    let client = StorageClient::connect_lazy(&server.addr).unwrap();
    let id = shard(3);
    let data = b"current bytes".to_vec();
    put_and_read_back(&client, id, &data).await;
    assert!(matches!(
        client
            .get_shard_expecting(id, hash(b"what metadata expects"))
            .await,
        Err(Error::Corrupt(_))
    ));
    assert!(matches!(
        client.get_shard_expecting(shard(0), hash(&data)).await,
        Err(Error::NotFound)
    ));
    server.stop.take().unwrap().send(()).unwrap();
    server.task.await.unwrap().unwrap();
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[tokio::test]
async fn list_shards_pages_and_conditional_delete_spares_rewrites() {
    let server = start().await;
    let client = StorageClient::connect_lazy(&server.addr).unwrap();
    let mut ids: Vec<ShardId> = (0..5).map(shard).collect();
    for id in &ids {
        client
            .put_shard(*id, Bytes::from_static(b"abc"), hash(b"abc"))
            .await
            .unwrap();
    }
    ids.sort();

    let mut listed = Vec::new();
    let mut after = None;
    loop {
        let page = client.list_shards(after, 2).await.unwrap();
        assert!(page.shards.len() <= 2);
        after = page.shards.last().map(|s| s.id);
        listed.extend(page.shards);
        if !page.more {
            break;
        }
    }
    assert_eq!(listed.iter().map(|s| s.id).collect::<Vec<_>>(), ids);
    assert!(listed.iter().all(|s| s.len == 3));
    assert!(listed.iter().all(|s| s.modified_ms > now_ms() - 60_000));
    let page = client.list_shards(None, 1).await.unwrap();
    assert!(page.more);
    assert!((page.node_now_ms - now_ms()).abs() < 60_000);

    // Nothing was written before a cutoff a minute ago.
    let early = now_ms() - 60_000;
    assert_eq!(
        client
            .delete_shards_modified_before(&ids, early)
            .await
            .unwrap(),
        0
    );
    // A shard written again after the cutoff survives; the others go.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let cutoff = now_ms();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    client
        .put_shard(ids[0], Bytes::from_static(b"abc"), hash(b"abc"))
        .await
        .unwrap();
    assert_eq!(
        client
            .delete_shards_modified_before(&ids, cutoff)
            .await
            .unwrap(),
        4
    );
    let left = client.list_shards(None, 0).await.unwrap();
    assert_eq!(left.shards.len(), 1);
    assert_eq!(left.shards[0].id, ids[0]);
    assert!(!left.more);
    assert!(client.delete_shards_modified_before(&ids, 0).await.is_err());
    assert_eq!(server.node.status().await.unwrap().shard_count, 1);
}

/// A client whose transport knows the node runs in this process calls its
/// service directly: same results and errors, no connection (the server is
/// stopped first, so nothing could answer over the socket).
#[tokio::test]
async fn local_link_calls_the_service_directly() {
    let mut server = start().await;
    server.stop.take().unwrap().send(()).unwrap();
    server.task.await.unwrap().unwrap();
    let transport = tessera_proto::Transport::tcp()
        .with_local_storage(server.addr.clone(), server.node.local_service());
    let client = StorageClient::connect_lazy_via(&server.addr, &transport).unwrap();

    let id = shard(4);
    put_and_read_back(&client, id, b"in-process bytes").await;
    assert_eq!(client.node_status().await.unwrap().shard_count, 1);
    // A caller in this process hashed the bytes it stores, so the node does
    // not hash them again; a wrong hash is stored as given, and every read
    // reports the shard as corrupt. (Over gRPC the same put is refused:
    // `errors_map_to_grpc_codes`.)
    let trusted = shard(5);
    client
        .put_shard(trusted, Bytes::from_static(b"x"), hash(b"y"))
        .await
        .unwrap();
    let err = client.get_shard(trusted).await.unwrap_err();
    assert!(matches!(err, Error::Corrupt(_)), "{err:?}");
    assert_eq!(client.delete_shards(&[trusted]).await.unwrap(), 1);
    assert!(matches!(
        client.get_shard(shard(6)).await,
        Err(Error::NotFound)
    ));

    // Damage on disk is caught by the client's hash, as over gRPC.
    damage_on_disk(&server.node, &id);
    let err = client.get_shard(id).await.unwrap_err();
    assert!(matches!(err, Error::Corrupt(_)), "{err:?}");
    assert_eq!(client.delete_shards(&[id]).await.unwrap(), 1);
}
