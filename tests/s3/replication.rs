//! Bucket replication: the configuration API, copies to a bucket of the
//! same cluster and to a remote Tessera server, deletes, replication
//! status, resync, and a remote that is down for a minute.

use crate::{put, setup};
use aws_sdk_s3::Client;
use std::time::Duration;
use tessera_cli::admin_client::AdminClient;
use tessera_gateway::admin::CreateRemoteRequest;
use tessera_test_harness::{
    data, put_multipart, replication_config as config, test_config, TestServer,
};

/// Every key of `bucket` with its ETag, in order.
pub async fn contents(c: &Client, bucket: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = c
            .list_objects_v2()
            .bucket(bucket)
            .set_continuation_token(token)
            .send()
            .await
            .unwrap();
        for o in page.contents() {
            out.push((o.key().unwrap().to_string(), o.e_tag().unwrap().to_string()));
        }
        token = page.next_continuation_token().map(str::to_string);
        if token.is_none() {
            return out;
        }
    }
}

/// Waits (at most `limit`) until `check` holds.
pub async fn eventually<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn status(c: &Client, bucket: &str, key: &str) -> Option<String> {
    let h = c
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    h.replication_status().map(|s| s.as_str().to_string())
}

async fn replicated(src: &Client, dst: &Client, bucket: &str, dest: &str) -> bool {
    contents(src, bucket).await == contents(dst, dest).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configuration_is_stored_validated_and_deleted() {
    let (s, c) = setup("src").await;
    let err = c
        .get_bucket_replication()
        .bucket("src")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.into_service_error().meta().code(),
        Some("ReplicationConfigurationNotFoundError")
    );
    // The destination must exist (locally, or as a registered remote).
    let err = c
        .put_bucket_replication()
        .bucket("src")
        .replication_configuration(config("", "nowhere", false))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.into_service_error().meta().code(),
        Some("InvalidRequest")
    );
    c.create_bucket().bucket("dst").send().await.unwrap();
    c.put_bucket_replication()
        .bucket("src")
        .replication_configuration(config("logs/", "dst", true))
        .send()
        .await
        .unwrap();
    let got = c
        .get_bucket_replication()
        .bucket("src")
        .send()
        .await
        .unwrap();
    let rc = got.replication_configuration().unwrap();
    assert_eq!(rc.role(), "arn:aws:iam::000000000000:role/replication");
    let rule = &rc.rules()[0];
    assert_eq!(rule.destination().unwrap().bucket(), "arn:aws:s3:::dst");
    assert_eq!(rule.filter().unwrap().prefix(), Some("logs/"));
    c.delete_bucket_replication()
        .bucket("src")
        .send()
        .await
        .unwrap();
    assert!(c
        .get_bucket_replication()
        .bucket("src")
        .send()
        .await
        .is_err());
    drop(s);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_are_copied_to_a_local_bucket_with_their_metadata() {
    let (s, c) = setup("src").await;
    c.create_bucket().bucket("dst").send().await.unwrap();
    put(&c, "src", "before", b"written before the rule".to_vec()).await;
    c.put_bucket_replication()
        .bucket("src")
        .replication_configuration(config("", "dst", true))
        .send()
        .await
        .unwrap();
    let body = data(700 * 1024, 7);
    c.put_object()
        .bucket("src")
        .key("docs/a.txt")
        .body(body.clone().into())
        .content_type("text/plain")
        .cache_control("max-age=60")
        .metadata("origin", "test")
        .send()
        .await
        .unwrap();
    let part = data(5 * 1024 * 1024, 8);
    put_multipart(&c, "src", "big", &[&part, b"tail"]).await;
    eventually(Duration::from_secs(30), "copies in dst", || async {
        contents(&c, "dst").await.len() == 2
    })
    .await;
    let copy = c
        .get_object()
        .bucket("dst")
        .key("docs/a.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(copy.content_type(), Some("text/plain"));
    assert_eq!(copy.cache_control(), Some("max-age=60"));
    assert_eq!(
        copy.metadata().unwrap().get("origin").map(String::as_str),
        Some("test")
    );
    assert_eq!(
        copy.replication_status().map(|s| s.as_str()),
        Some("REPLICA")
    );
    assert_eq!(
        copy.body.collect().await.unwrap().into_bytes().as_ref(),
        &body[..]
    );
    // A multipart object keeps its ETag and parts.
    let src_big = c
        .head_object()
        .bucket("src")
        .key("big")
        .send()
        .await
        .unwrap();
    let dst_big = c
        .head_object()
        .bucket("dst")
        .key("big")
        .send()
        .await
        .unwrap();
    assert_eq!(src_big.e_tag(), dst_big.e_tag());
    assert_eq!(dst_big.parts_count(), Some(2));
    eventually(Duration::from_secs(10), "COMPLETED", || async {
        status(&c, "src", "big").await.as_deref() == Some("COMPLETED")
    })
    .await;
    // An object written before the rule is not copied until a resync.
    assert_eq!(status(&c, "src", "before").await, None);
    let admin = AdminClient::new(&s.admin_endpoint(), &s.access_key, &s.secret_key).unwrap();
    let resync = admin.resync_replication("src").await.unwrap();
    assert_eq!(resync.queued, 3);
    eventually(Duration::from_secs(30), "resynced", || async {
        replicated(&c, &c, "src", "dst").await
    })
    .await;
    // Deletes follow, as the rule asks.
    c.delete_object()
        .bucket("src")
        .key("docs/a.txt")
        .send()
        .await
        .unwrap();
    eventually(Duration::from_secs(30), "delete replicated", || async {
        contents(&c, "dst").await.len() == 2
    })
    .await;
    let report = admin.replication_status("src").await.unwrap();
    assert_eq!((report.backlog, report.failed), (0, 0));
    assert_eq!(report.destinations, vec!["dst".to_string()]);
}

/// A second server's bucket, registered as a remote of `a`.
async fn remote_pair() -> (TestServer, TestServer, AdminClient) {
    let a = TestServer::start().await;
    let b = TestServer::start().await;
    b.client()
        .create_bucket()
        .bucket("backup")
        .send()
        .await
        .unwrap();
    a.client()
        .create_bucket()
        .bucket("src")
        .send()
        .await
        .unwrap();
    let admin = AdminClient::new(&a.admin_endpoint(), &a.access_key, &a.secret_key).unwrap();
    admin
        .create_remote(&CreateRemoteRequest {
            name: "dr".into(),
            endpoint: b.endpoint(),
            access_key: b.access_key.clone(),
            secret_key: b.secret_key.clone(),
            bucket: "backup".into(),
            region: None,
        })
        .await
        .unwrap();
    a.client()
        .put_bucket_replication()
        .bucket("src")
        .replication_configuration(config("", "backup", true))
        .send()
        .await
        .unwrap();
    (a, b, admin)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_down_for_a_minute_is_caught_up() {
    let (a, b, _) = remote_pair().await;
    let (ca, cb) = (a.client(), b.client());
    put(&ca, "src", "first", b"1".to_vec()).await;
    put_multipart(&ca, "src", "multi", &[&data(5 * 1024 * 1024, 1), b"end"]).await;
    eventually(Duration::from_secs(30), "first copies", || async {
        replicated(&ca, &cb, "src", "backup").await
    })
    .await;
    let copy = cb
        .head_object()
        .bucket("backup")
        .key("multi")
        .send()
        .await
        .unwrap();
    assert_eq!(
        copy.replication_status().map(|s| s.as_str()),
        Some("REPLICA")
    );

    // The remote goes away; writes, overwrites and deletes go on.
    let b_addr = b.s3_addr;
    let b_dir = b.stop().await.expect("owned data dir");
    let down = tokio::time::Instant::now();
    for i in 0..20 {
        put(&ca, "src", &format!("during/{i}"), data(1000 + i, i as u64)).await;
    }
    put(&ca, "src", "first", b"overwritten".to_vec()).await;
    ca.delete_object()
        .bucket("src")
        .key("multi")
        .send()
        .await
        .unwrap();
    assert_eq!(
        status(&ca, "src", "during/3").await.as_deref(),
        Some("PENDING")
    );
    tokio::time::sleep(Duration::from_secs(60).saturating_sub(down.elapsed())).await;
    // New clients: the old ones' pooled connections have been idle for the
    // minute too, as long as the gateway keeps an idle connection (60 s,
    // its header read timeout), and one closed as it is reused fails a
    // request.
    let ca = a.client();
    let admin = AdminClient::new(&a.admin_endpoint(), &a.access_key, &a.secret_key).unwrap();
    let report = admin.replication_status("src").await.unwrap();
    assert!(report.backlog >= 20, "{report:?}");
    assert_eq!(
        report.failed, 0,
        "an unreachable remote is retried, not failed"
    );

    // Back on the same address: everything is caught up.
    let mut cfg = test_config(b_dir.path());
    cfg.gateway.s3_addr = b_addr;
    let b = TestServer::start_with(cfg).await;
    let cb = b.client();
    eventually(Duration::from_secs(90), "caught up", || async {
        replicated(&ca, &cb, "src", "backup").await
    })
    .await;
    let first = cb
        .get_object()
        .bucket("backup")
        .key("first")
        .send()
        .await
        .unwrap();
    assert_eq!(
        first.body.collect().await.unwrap().into_bytes().as_ref(),
        b"overwritten"
    );
    eventually(Duration::from_secs(10), "COMPLETED", || async {
        status(&ca, "src", "during/19").await.as_deref() == Some("COMPLETED")
    })
    .await;
    let report = admin.replication_status("src").await.unwrap();
    assert_eq!((report.backlog, report.failed), (0, 0), "{report:?}");
    drop(b_dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusing_remote_fails_the_object_until_resync() {
    let (a, b, admin) = remote_pair().await;
    let ca = a.client();
    // The remote's bucket disappears: copies are refused (404), which is
    // kept as FAILED after the attempts run out, then a resync succeeds.
    b.client()
        .delete_bucket()
        .bucket("backup")
        .send()
        .await
        .unwrap();
    put(&ca, "src", "k", b"v".to_vec()).await;
    eventually(Duration::from_secs(120), "FAILED", || async {
        status(&ca, "src", "k").await.as_deref() == Some("FAILED")
    })
    .await;
    let report = admin.replication_status("src").await.unwrap();
    assert_eq!(report.failed, 1);
    assert!(
        report.failures[0].error.contains("NoSuchBucket"),
        "{report:?}"
    );
    b.client()
        .create_bucket()
        .bucket("backup")
        .send()
        .await
        .unwrap();
    admin.resync_replication("src").await.unwrap();
    eventually(Duration::from_secs(30), "COMPLETED", || async {
        status(&ca, "src", "k").await.as_deref() == Some("COMPLETED")
    })
    .await;
}
