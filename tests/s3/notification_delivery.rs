//! Event notifications delivered to a webhook by the server's worker: every
//! configured event arrives, in order per key, filters select the right
//! keys, and a failing webhook gets the events once it recovers.

use crate::{put, setup};
use http_body_util::BodyExt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tessera_test_harness::TestServer;
use tessera_types::events::{NotificationConfig, NotificationRule, Topic};
use tessera_types::meta::BucketConfig;

/// A webhook on loopback that records what it receives; it answers 500 to
/// the first `fail_first` requests, and to every request while unhealthy.
struct Hook {
    addr: SocketAddr,
    state: Arc<HookState>,
}

#[derive(Default)]
struct HookState {
    received: Mutex<Vec<serde_json::Value>>,
    calls: AtomicUsize,
    fail_first: usize,
    unhealthy: std::sync::atomic::AtomicBool,
}

impl HookState {
    fn answer(&self, body: &[u8]) -> u16 {
        let early = self.calls.fetch_add(1, Ordering::SeqCst) < self.fail_first;
        if early || self.unhealthy.load(Ordering::SeqCst) {
            return 500;
        }
        let message = serde_json::from_slice(body).unwrap();
        self.received.lock().unwrap().push(message);
        200
    }
}

async fn hook(fail_first: usize) -> Hook {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = Arc::new(HookState {
        fail_first,
        ..HookState::default()
    });
    let shared = Arc::clone(&state);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let state = Arc::clone(&shared);
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                        let state = Arc::clone(&state);
                        async move {
                            let body = req.into_body().collect().await.unwrap().to_bytes();
                            let mut resp =
                                http::Response::new(http_body_util::Full::new(bytes::Bytes::new()));
                            *resp.status_mut() =
                                http::StatusCode::from_u16(state.answer(&body)).unwrap();
                            Ok::<_, std::convert::Infallible>(resp)
                        }
                    });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Hook { addr, state }
}

impl Hook {
    /// (eventName, key) of every record received so far, test events as
    /// ("TestEvent", bucket).
    fn events(&self) -> Vec<(String, String)> {
        self.state
            .received
            .lock()
            .unwrap()
            .iter()
            .map(|m| match m.get("Records") {
                Some(r) => (
                    r[0]["eventName"].as_str().unwrap().to_string(),
                    r[0]["s3"]["object"]["key"].as_str().unwrap().to_string(),
                ),
                None => (
                    "TestEvent".into(),
                    m["Bucket"].as_str().unwrap().to_string(),
                ),
            })
            .collect()
    }

    async fn wait_for(&self, n: usize) -> Vec<(String, String)> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let got = self.events();
            if got.len() >= n {
                return got;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "only {} of {n} events arrived: {got:?}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The event names received for `key`, in arrival order.
fn per_key_of(got: &[(String, String)], key: &str) -> Vec<String> {
    got.iter()
        .filter(|(_, k)| k == key)
        .map(|(e, _)| e.clone())
        .collect()
}

async fn topic(s: &TestServer, name: &str, hook: &Hook) {
    let meta = tessera_meta_client::MetaClient::new(vec![s.meta_addr.to_string()]).unwrap();
    meta.create_topic(Topic {
        name: name.into(),
        arn: format!("arn:aws:sns:us-east-1:000000000000:{name}"),
        webhook: format!("http://{}/events", hook.addr),
        created: 0,
    })
    .await
    .unwrap();
}

fn rule(id: &str, topic: &str, events: &[&str], suffix: Option<&str>) -> NotificationRule {
    NotificationRule {
        id: id.into(),
        topic: topic.into(),
        topic_arn: format!("arn:aws:sns:us-east-1:000000000000:{topic}"),
        events: events.iter().map(|e| e.to_string()).collect(),
        prefix: None,
        suffix: suffix.map(str::to_string),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_configured_event_arrives_in_order_per_key() {
    let (s, c) = setup("events").await;
    let all = hook(0).await;
    let jpg = hook(0).await;
    topic(&s, "all", &all).await;
    topic(&s, "jpg", &jpg).await;
    s.set_bucket_config(
        "events",
        BucketConfig::Notification(Some(NotificationConfig {
            rules: vec![
                rule(
                    "all",
                    "all",
                    &["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
                    None,
                ),
                rule("images", "jpg", &["s3:ObjectCreated:Put"], Some(".jpg")),
            ],
        })),
    )
    .await;

    put(&c, "events", "a", "one").await;
    put(&c, "events", "a", "two").await;
    put(&c, "events", "pic.jpg", "jpeg").await;
    c.copy_object()
        .bucket("events")
        .key("b")
        .copy_source("events/a")
        .send()
        .await
        .unwrap();
    tessera_test_harness::put_multipart(&c, "events", "mp", &[b"part"]).await;
    c.delete_object()
        .bucket("events")
        .key("a")
        .send()
        .await
        .unwrap();
    // Deleting what does not exist changes nothing and notifies nothing.
    c.delete_object()
        .bucket("events")
        .key("nothing")
        .send()
        .await
        .unwrap();

    // Events of different keys may arrive in any order; each key's in
    // commit order.
    let got = all.wait_for(7).await;
    assert_eq!(per_key_of(&got, "events"), vec!["TestEvent"]);
    let per_key = |key: &str| per_key_of(&got, key);
    assert_eq!(
        per_key("a"),
        vec![
            "ObjectCreated:Put",
            "ObjectCreated:Put",
            "ObjectRemoved:Delete"
        ]
    );
    assert_eq!(per_key("b"), vec!["ObjectCreated:Copy"]);
    assert_eq!(per_key("mp"), vec!["ObjectCreated:CompleteMultipartUpload"]);
    assert_eq!(per_key("pic.jpg"), vec!["ObjectCreated:Put"]);
    assert_eq!(got.len(), 7, "{got:?}");
    // The filtered topic got its test event and the one .jpg.
    let got = jpg.wait_for(2).await;
    assert_eq!(per_key_of(&got, "pic.jpg"), vec!["ObjectCreated:Put"]);
    // Nothing more arrives.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(all.events().len(), 7);
    assert_eq!(jpg.events().len(), 2);
    // The record carries the object's size and ETag.
    let record = all
        .state
        .received
        .lock()
        .unwrap()
        .iter()
        .find(|m| m["Records"][0]["s3"]["object"]["key"] == "pic.jpg")
        .cloned()
        .unwrap();
    assert_eq!(record["Records"][0]["s3"]["object"]["size"], 4);
    assert_eq!(record["Records"][0]["eventSource"], "aws:s3");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_webhook_gets_its_events_when_it_recovers() {
    let (s, c) = setup("flaky").await;
    let h = hook(3).await;
    topic(&s, "flaky", &h).await;
    s.set_bucket_config(
        "flaky",
        BucketConfig::Notification(Some(NotificationConfig {
            rules: vec![rule("r", "flaky", &["s3:ObjectCreated:*"], None)],
        })),
    )
    .await;
    for i in 0..3 {
        put(&c, "flaky", &format!("k{i}"), "v").await;
    }
    let got = h.wait_for(4).await;
    let keys: Vec<&str> = got
        .iter()
        .filter(|(e, _)| e != "TestEvent")
        .map(|(_, k)| k.as_str())
        .collect();
    assert_eq!(keys.len(), 3, "{got:?}");
    for k in ["k0", "k1", "k2"] {
        assert!(keys.contains(&k), "{k} missing: {got:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_events_are_kept_and_replayed_by_the_operator() {
    let (s, c) = setup("kept").await;
    let h = hook(0).await;
    topic(&s, "kept", &h).await;
    s.set_bucket_config(
        "kept",
        BucketConfig::Notification(Some(NotificationConfig {
            rules: vec![rule("r", "kept", &["s3:ObjectCreated:*"], None)],
        })),
    )
    .await;
    h.wait_for(1).await; // the test event
    h.state.unhealthy.store(true, Ordering::SeqCst);
    put(&c, "kept", "doc", "v").await;
    // The worker tries and fails; the event is then given up on (forced
    // here after its first failure, rather than after ten).
    let meta = tessera_meta_client::MetaClient::new(vec![s.meta_addr.to_string()]).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let seq = loop {
        let pending = meta.list_events(None, 10, false, None, None).await.unwrap();
        if let Some(e) = pending.iter().find(|e| e.key == "doc" && e.attempts > 0) {
            break e.seq;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no failed attempt: {pending:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    meta.retry_events(vec![seq], "webhook answered 500", 1)
        .await
        .unwrap();
    let admin = tessera_cli::admin_client::AdminClient::new(
        &s.admin_endpoint(),
        &s.access_key,
        &s.secret_key,
    )
    .unwrap();
    let failed = admin.failed_events().await.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].key, "doc");
    // Kept, not retried: nothing arrives while it is failed.
    h.state.unhealthy.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(h.events().len(), 1);
    // Replayed, it is delivered.
    admin.replay_events(Some("kept".into())).await.unwrap();
    let got = h.wait_for(2).await;
    assert_eq!(per_key_of(&got, "doc"), vec!["ObjectCreated:Put"]);
    assert!(admin.failed_events().await.unwrap().is_empty());
}
