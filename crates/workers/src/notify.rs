//! The notification worker: leases events from the outbox in the metadata
//! group, POSTs each to its topic's webhook as an S3 event message, and
//! acknowledges it through Raft once the webhook answered 2xx. A worker
//! that dies mid-delivery leaves its leases to expire; another worker (or
//! the same one restarted) delivers those events again: at least once, in
//! order per key.

use crate::outbox::{run_passes, Failure, OutboxStats, Pump};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tessera_engine::Engine;
use tessera_s3_protocol::fmt::{iso8601_millis, url_encode_key};
use tessera_types::events::{EventName, OutboxEvent, OutboxKind, Topic};
use tessera_util::shutdown::Shutdown;
use tracing::debug;

/// Events leased per pass.
const BATCH: u32 = 64;
/// How long a lease lasts: a delivery (with its timeout) fits well within.
const LEASE: Duration = Duration::from_secs(30);
/// One webhook call.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts before an event is kept as failed (for an operator to replay).
pub const MAX_ATTEMPTS: u32 = 10;

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Full<bytes::Bytes>>;

pub struct NotifyWorker {
    pump: Pump,
    region: String,
    idle: Duration,
    http: HttpClient,
}

/// What the notification worker reports.
pub type NotifyStats = OutboxStats;

/// The S3 event message for `e`.
pub fn message(e: &OutboxEvent, region: &str) -> serde_json::Value {
    if e.event == EventName::TestEvent {
        return serde_json::json!({
            "Service": "Amazon S3",
            "Event": "s3:TestEvent",
            "Time": iso8601_millis(e.time),
            "Bucket": e.bucket,
            "RequestId": format!("{:016X}", e.seq),
            "HostId": format!("{:016X}", e.seq),
        });
    }
    let mut object = serde_json::json!({
        // URL-encoded, a space as `+`, as S3 writes event keys.
        "key": url_encode_key(&e.key).replace("%20", "+"),
        "sequencer": format!("{:016X}", e.seq),
    });
    if e.event != EventName::ObjectRemovedDelete {
        object["size"] = e.size.into();
        object["eTag"] = e.etag.clone().into();
    }
    serde_json::json!({
        "Records": [{
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": region,
            "eventTime": iso8601_millis(e.time),
            "eventName": e.event.as_str().trim_start_matches("s3:"),
            "userIdentity": {"principalId": "tessera"},
            "requestParameters": {"sourceIPAddress": ""},
            "responseElements": {},
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": e.rule_id,
                "bucket": {
                    "name": e.bucket,
                    "ownerIdentity": {"principalId": ""},
                    "arn": format!("arn:aws:s3:::{}", e.bucket),
                },
                "object": object,
            },
        }]
    })
}

impl NotifyWorker {
    pub fn new(engine: Arc<Engine>, region: &str, idle: Duration) -> Arc<NotifyWorker> {
        Arc::new(NotifyWorker {
            pump: Pump::new(engine, OutboxKind::Notification, "notify"),
            region: region.to_string(),
            idle,
            http: Client::builder(TokioExecutor::new()).build_http(),
        })
    }

    /// Deliveries since start, and the outbox as the last pass saw it.
    pub fn stats(&self) -> NotifyStats {
        self.pump.stats()
    }

    async fn post(&self, url: &str, body: Vec<u8>) -> Result<(), String> {
        let req = http::Request::post(url)
            .header("content-type", "application/json")
            .header("user-agent", "Tessera-Notifications")
            .body(Full::new(bytes::Bytes::from(body)))
            .map_err(|e| format!("bad webhook URL {url}: {e}"))?;
        let send = async {
            let resp = self.http.request(req).await.map_err(|e| e.to_string())?;
            let status = resp.status();
            // Drain the answer so that the connection can be reused.
            let _ = resp.into_body().collect().await;
            if status.is_success() {
                Ok(())
            } else {
                Err(format!("webhook answered {status}"))
            }
        };
        tokio::time::timeout(DELIVERY_TIMEOUT, send)
            .await
            .map_err(|_| format!("no answer within {DELIVERY_TIMEOUT:?}"))?
    }

    /// One pass: lease, deliver, acknowledge. Returns (delivered, failed).
    pub async fn pass(&self) -> Result<(usize, usize), tessera_engine::Error> {
        let events = self.pump.lease(LEASE, BATCH).await?;
        if events.is_empty() {
            return Ok((0, 0));
        }
        let topics: HashMap<String, Topic> = self
            .pump
            .engine()
            .meta()
            .list_topics()
            .await?
            .into_iter()
            .map(|t| (t.name.clone(), t))
            .collect();
        // Leased events are at most one per key and topic, so they may be
        // delivered concurrently without breaking per-key order.
        let topics = &topics;
        let deliveries = events.iter().map(|e| async move {
            let topic = e.target.topic().unwrap_or_default();
            let result = match topics.get(topic) {
                Some(t) => {
                    let body = serde_json::to_vec(&message(e, &self.region)).unwrap_or_default();
                    self.post(&t.webhook, body).await
                }
                None => Err(format!("topic {topic} no longer exists")),
            };
            let result = result.map_err(|error| Failure {
                error,
                max_attempts: MAX_ATTEMPTS,
            });
            (e.seq, result)
        });
        let results = futures::future::join_all(deliveries).await;
        let (ok, bad) = self.pump.settle(results).await?;
        debug!(delivered = ok, failed = bad, "notification pass");
        Ok((ok, bad))
    }

    /// Runs passes until `shutdown`.
    pub async fn run(self: Arc<Self>, shutdown: Shutdown) {
        let idle = self.idle;
        run_passes("notifications", idle, shutdown, || self.pass()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(name: EventName) -> OutboxEvent {
        OutboxEvent {
            seq: 42,
            target: tessera_types::events::Target::Topic("t".into()),
            rule_id: "rule".into(),
            event: name,
            bucket: "b".into(),
            key: "a b/c.jpg".into(),
            size: 7,
            etag: "abc".into(),
            time: 0,
            attempts: 0,
            lease: None,
            failed: None,
        }
    }

    #[test]
    fn messages_follow_the_s3_event_format() {
        let m = message(&event(EventName::ObjectCreatedPut), "us-east-1");
        let r = &m["Records"][0];
        assert_eq!(r["eventName"], "ObjectCreated:Put");
        assert_eq!(r["eventSource"], "aws:s3");
        assert_eq!(r["eventTime"], "1970-01-01T00:00:00.000Z");
        assert_eq!(r["s3"]["configurationId"], "rule");
        assert_eq!(r["s3"]["bucket"]["arn"], "arn:aws:s3:::b");
        assert_eq!(r["s3"]["object"]["key"], "a+b/c.jpg");
        assert_eq!(r["s3"]["object"]["size"], 7);
        assert_eq!(r["s3"]["object"]["sequencer"], "000000000000002A");
        let d = message(&event(EventName::ObjectRemovedDelete), "us-east-1");
        assert_eq!(d["Records"][0]["eventName"], "ObjectRemoved:Delete");
        assert!(d["Records"][0]["s3"]["object"].get("size").is_none());
        let t = message(&event(EventName::TestEvent), "us-east-1");
        assert_eq!(t["Event"], "s3:TestEvent");
        assert_eq!(t["Bucket"], "b");
    }
}
