//! Prometheus metrics of the gateway: `tessera_s3_requests_total` and
//! `tessera_s3_request_seconds`, labelled by operation and status.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub op: &'static str,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OpLabels {
    pub op: &'static str,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<OpLabels, Histogram>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("tessera_s3");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<OpLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 16))
        });
        registry.register("requests", "S3 requests served", requests.clone());
        registry.register("request_seconds", "S3 request latency", latency.clone());
        Metrics {
            registry,
            requests,
            latency,
        }
    }

    pub fn observe(&self, op: &'static str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels { op, status })
            .inc();
        self.latency
            .get_or_create(&OpLabels { op })
            .observe(seconds);
    }

    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

/// The workers' figures, from their status document, as gauges and
/// counters: backlog, failures, lag and deliveries of notifications and of
/// replication, and the repair queue. Inserted before the exposition's
/// `# EOF`.
pub fn append_worker_metrics(text: &mut String, status: &serde_json::Value) {
    let mut series: Vec<(String, &str, String, &serde_json::Value)> = Vec::new();
    for (worker, what) in [
        ("notifications", "Events"),
        ("replication", "Replication tasks"),
    ] {
        let s = &status[worker];
        let name = |n: &str| format!("tessera_{worker}_{n}");
        series.extend([
            (
                name("backlog"),
                "gauge",
                format!("{what} waiting for delivery"),
                &s["backlog"],
            ),
            (
                name("failed"),
                "gauge",
                format!("{what} given up on, kept for replay"),
                &s["failed"],
            ),
            (
                name("lag_seconds"),
                "gauge",
                format!("Age of the oldest waiting {what}"),
                &s["lag_seconds"],
            ),
            (
                name("delivered"),
                "counter",
                format!("{what} delivered by this process"),
                &s["delivered"],
            ),
            (
                name("failed_attempts"),
                "counter",
                "Failed delivery attempts by this process".into(),
                &s["failed_attempts"],
            ),
        ]);
    }
    series.extend([
        (
            "tessera_repair_queue_length".to_string(),
            "gauge",
            "Blocks written with a missing shard, waiting for repair".to_string(),
            &status["repair_queue_length"],
        ),
        (
            "tessera_blocks_below_full_redundancy".to_string(),
            "gauge",
            "Blocks short of shards after the last repair pass".to_string(),
            &status["blocks_below_full_redundancy"],
        ),
    ]);
    let mut extra = String::new();
    for (name, kind, help, value) in series {
        let Some(v) = value.as_f64() else { continue };
        let sample = if kind == "counter" {
            format!("{name}_total")
        } else {
            name.clone()
        };
        extra.push_str(&format!(
            "# TYPE {name} {kind}\n# HELP {name} {help}.\n{sample} {v}\n"
        ));
    }
    match text.rfind("# EOF") {
        Some(i) => text.insert_str(i, &extra),
        None => text.push_str(&extra),
    }
}
