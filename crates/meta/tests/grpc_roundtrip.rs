//! The Meta gRPC service driven by meta-client over real sockets.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};
use tessera_meta::{MetaConfig, MetaNode};
use tessera_meta_client::{Error, MetaClient};
use tessera_types::meta::{ListEntry, ListObjectsQuery, MetaError, Precondition};
use tessera_types::{
    BucketRecord, ContentHeaders, ObjectRecord, PartRecord, Segment, StorageClass, UploadRecord,
};

async fn serve_node(
    dir: &std::path::Path,
) -> (Arc<MetaNode>, String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let node = MetaNode::start(MetaConfig {
        node_id: 7,
        data_dir: dir.to_path_buf(),
        advertise_addr: addr.clone(),
        bootstrap: true,
        heartbeat_interval_ms: 50,
        election_timeout_ms: 200,
        ..Default::default()
    })
    .await
    .unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(node.clone().serve(listener, async move {
        let _ = rx.await;
    }));
    node.wait_for_leader(Duration::from_secs(10)).await.unwrap();
    (node, addr, tx)
}

fn object(etag: &str) -> ObjectRecord {
    ObjectRecord {
        size: 2,
        etag: etag.into(),
        last_modified: 1,
        owner: "o".into(),
        storage_class: StorageClass::Standard,
        content: ContentHeaders::default(),
        user_meta: vec![("k".into(), "v".into())],
        checksum: None,
        parts: vec![],
        segments: vec![Segment::Inline(b"hi".to_vec())],
        upload_id: None,
        acl: Default::default(),
        replication_status: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let (node, addr, stop) = serve_node(dir.path()).await;
    let client = MetaClient::new(vec![addr.clone()]).unwrap();

    let status = client.status().await.unwrap();
    assert_eq!(status.node_id, 7);
    assert_eq!(status.leader_id, Some(7));
    assert_eq!(status.leader_addr, addr);
    assert_eq!(status.members.len(), 1);
    assert!(status.members[0].voter);

    let bucket = BucketRecord::new("photos", "alice", 1, "r");
    client.create_bucket(bucket.clone()).await.unwrap();
    assert!(matches!(
        client.create_bucket(bucket.clone()).await,
        Err(Error::Meta(MetaError::BucketAlreadyOwnedByYou))
    ));
    assert_eq!(
        client.get_bucket("photos").await.unwrap(),
        Some(bucket.clone())
    );
    assert_eq!(client.list_buckets().await.unwrap(), vec![bucket]);

    assert_eq!(
        client
            .put_object("photos", "a/1.jpg", object("e1"), Precondition::None)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        client
            .put_object(
                "photos",
                "a/1.jpg",
                object("e2"),
                Precondition::ETagMatches("e1".into())
            )
            .await
            .unwrap(),
        Some(object("e1"))
    );
    assert!(matches!(
        client
            .put_object("photos", "a/1.jpg", object("e3"), Precondition::NotExists)
            .await,
        Err(Error::Meta(MetaError::PreconditionFailed))
    ));
    client
        .put_object("photos", "b.jpg", object("e"), Precondition::None)
        .await
        .unwrap();
    assert_eq!(
        client.get_object("photos", "a/1.jpg").await.unwrap(),
        Some(object("e2"))
    );
    assert!(matches!(
        client.get_object("nope", "x").await,
        Err(Error::Meta(MetaError::NoSuchBucket))
    ));
    let page = client
        .list_objects(ListObjectsQuery {
            bucket: "photos".into(),
            delimiter: Some("/".into()),
            max_keys: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.entries.len(), 2);
    assert_eq!(page.entries[0], ListEntry::CommonPrefix("a/".into()));

    let upload = UploadRecord {
        upload_id: "u1".into(),
        bucket: "photos".into(),
        key: "big".into(),
        initiated: 1,
        owner: "alice".into(),
        storage_class: StorageClass::Standard,
        content: ContentHeaders::default(),
        user_meta: vec![],
        checksum_algorithm: None,
        checksum_type: None,
        acl: Default::default(),
        replica: false,
    };
    client.create_upload(upload.clone()).await.unwrap();
    assert_eq!(
        client.get_upload("photos", "big", "u1").await.unwrap(),
        Some(upload)
    );
    let part = PartRecord {
        number: 1,
        size: 2,
        etag: "p1".into(),
        last_modified: 1,
        checksum: None,
        segments: vec![],
    };
    client
        .put_part("photos", "big", "u1", part.clone())
        .await
        .unwrap();
    let parts = client
        .list_parts("photos", "big", "u1", 0, 10)
        .await
        .unwrap();
    assert_eq!(parts.parts, vec![part]);
    assert!(!parts.is_truncated);
    let uploads = client
        .list_uploads(tessera_types::meta::ListUploadsQuery {
            bucket: "photos".into(),
            max_uploads: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(uploads.entries.len(), 1);
    assert!(matches!(
        client
            .complete_upload(
                "photos",
                "big",
                "u1",
                vec![(1, "wrong".into())],
                object("m-1"),
                Precondition::None
            )
            .await,
        Err(Error::Meta(MetaError::InvalidPart(1)))
    ));
    client
        .complete_upload(
            "photos",
            "big",
            "u1",
            vec![(1, "p1".into())],
            object("m-1"),
            Precondition::None,
        )
        .await
        .unwrap();
    assert!(matches!(
        client.abort_upload("photos", "big", "u1").await,
        Err(Error::Meta(MetaError::NoSuchUpload))
    ));
    assert_eq!(
        client.delete_object("photos", "b.jpg").await.unwrap(),
        Some(object("e"))
    );
    assert!(client.list_gc(10).await.unwrap().is_empty());
    client.ack_gc(vec![1]).await.unwrap();

    let key = tessera_types::AccessKey {
        access_key_id: "AK".into(),
        secret_key: "s".into(),
        name: "n".into(),
        created: 1,
    };
    client.create_access_key(key.clone()).await.unwrap();
    assert_eq!(
        client.get_access_key("AK").await.unwrap(),
        Some(key.clone())
    );
    assert_eq!(client.list_access_keys().await.unwrap(), vec![key]);
    client.delete_access_key("AK").await.unwrap();
    assert!(matches!(
        client.delete_access_key("AK").await,
        Err(Error::Meta(MetaError::NoSuchAccessKey))
    ));

    let info = tessera_types::NodeInfo {
        id: 3,
        addr: "10.0.0.3:7200".into(),
        zone: "z1".into(),
        capacity_bytes: 1,
        state: tessera_types::NodeState::Up,
        last_heartbeat: 1,
    };
    client.register_node(info.clone()).await.unwrap();
    assert_eq!(client.list_nodes().await.unwrap(), vec![info]);

    client.delete_object("photos", "a/1.jpg").await.unwrap();
    client.delete_object("photos", "big").await.unwrap();
    client.delete_bucket("photos").await.unwrap();
    assert_eq!(client.get_bucket("photos").await.unwrap(), None);

    let _ = stop.send(());
    node.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_fails_over_from_dead_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let (node, addr, stop) = serve_node(dir.path()).await;
    // A port nobody listens on.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    let client = MetaClient::new(vec![dead, addr])
        .unwrap()
        .with_timeout(Duration::from_secs(2), Duration::from_secs(10));
    assert_eq!(client.list_buckets().await.unwrap(), vec![]);
    let _ = stop.send(());
    node.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_gives_up_when_nothing_answers() {
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    let client = MetaClient::new(vec![dead])
        .unwrap()
        .with_timeout(Duration::from_millis(200), Duration::from_secs(1));
    let started = Instant::now();
    assert!(matches!(
        client.list_buckets().await,
        Err(Error::Unavailable(_))
    ));
    assert!(started.elapsed() < Duration::from_secs(3));
}
