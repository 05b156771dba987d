//! A replication worker killed mid-copy: its lease expires and the worker
//! that takes over (here, the restarted one) copies the object. Nothing is
//! lost.

use std::time::Duration;
use tessera_test_harness::{
    data, put_multipart, replication_config, Cluster, ClusterSpec, TestServer,
};
use tessera_types::events::OutboxKind;
use tessera_types::now_millis;
use tessera_types::replication::Remote;
use tokio::net::TcpListener;

/// A TCP endpoint that accepts connections and never answers: a remote
/// whose copies hang.
async fn black_hole() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((conn, _)) = listener.accept().await {
            held.push(conn);
        }
    });
    format!("http://{addr}")
}

fn remote(endpoint: String, target: &TestServer) -> Remote {
    Remote {
        name: "dr".into(),
        endpoint,
        access_key: target.access_key.clone(),
        secret_key: target.secret_key.clone(),
        bucket: "backup".into(),
        region: "us-east-1".into(),
        created: now_millis(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_worker_killed_mid_copy_loses_nothing() {
    let spec = ClusterSpec {
        metas: 1,
        storages: 3,
        gateways: 1,
        profile: "2+1",
        ..ClusterSpec::default()
    };
    let mut cluster = Cluster::start(spec).await;
    let target = TestServer::start().await;
    target
        .client()
        .create_bucket()
        .bucket("backup")
        .send()
        .await
        .unwrap();
    let meta = cluster.inspector();
    meta.create_remote(remote(black_hole().await, &target))
        .await
        .unwrap();

    let c = cluster.client(0);
    c.create_bucket().bucket("src").send().await.unwrap();
    c.put_bucket_replication()
        .bucket("src")
        .replication_configuration(replication_config("", "backup", false))
        .send()
        .await
        .unwrap();
    let body = data(6 * 1024 * 1024, 3);
    put_multipart(&c, "src", "big", &[&body, b"tail"]).await;

    // The worker leases the task and hangs in the copy.
    let leased = || async {
        let tasks = meta
            .list_events(None, 10, false, Some(OutboxKind::Replication), None)
            .await
            .unwrap();
        tasks.len() == 1 && tasks[0].lease.is_some()
    };
    crate::eventually("the task leased", Duration::from_secs(20), leased).await;
    // Killed mid-copy (its tasks are aborted).
    cluster.stop_gateway(0).await;
    // The remote is fixed while no worker runs, and a worker starts again.
    meta.delete_remote("dr").await.unwrap();
    meta.create_remote(remote(target.endpoint(), &target))
        .await
        .unwrap();
    cluster.restart_gateway(0).await;

    let tc = target.client();
    let copied = || async {
        tc.head_object()
            .bucket("backup")
            .key("big")
            .send()
            .await
            .is_ok()
    };
    // The dead worker's lease runs out within 30 s of its last renewal.
    crate::eventually("the copy on the remote", Duration::from_secs(90), copied).await;
    let got = tc
        .get_object()
        .bucket("backup")
        .key("big")
        .send()
        .await
        .unwrap();
    let got = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(got.len(), body.len() + 4);
    assert_eq!(&got[..body.len()], &body[..]);
    let src = c
        .head_object()
        .bucket("src")
        .key("big")
        .send()
        .await
        .unwrap();
    let dst = tc
        .head_object()
        .bucket("backup")
        .key("big")
        .send()
        .await
        .unwrap();
    assert_eq!(src.e_tag(), dst.e_tag());
    let done = || async {
        let h = c
            .head_object()
            .bucket("src")
            .key("big")
            .send()
            .await
            .unwrap();
        h.replication_status().map(|s| s.as_str().to_string()) == Some("COMPLETED".into())
    };
    crate::eventually("COMPLETED", Duration::from_secs(10), done).await;
    cluster.shutdown().await;
}
