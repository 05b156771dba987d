//! Per-operation statistics and the results table.

use hdrhistogram::Histogram;
use serde::Serialize;
use std::time::Duration;

/// Latencies and counts of one operation kind, for one client task (merged
/// at the end).
pub(crate) struct OpStats {
    pub latency: Histogram<u64>,
    pub errors: u64,
    pub corrupt: u64,
    pub bytes: u64,
    /// Keys listed (ListObjectsV2).
    pub items: u64,
    pub first_error: Option<String>,
    /// Where this client's listing continues (ListObjectsV2).
    pub list_token: Option<String>,
}

impl OpStats {
    pub fn new() -> OpStats {
        OpStats {
            // Microseconds, 1 µs to 10 min, 3 significant digits.
            latency: Histogram::new_with_bounds(1, 600_000_000, 3).unwrap_or_else(|_| {
                Histogram::new(3).unwrap_or_else(|_| unreachable!("3 digits is valid"))
            }),
            errors: 0,
            corrupt: 0,
            bytes: 0,
            items: 0,
            first_error: None,
            list_token: None,
        }
    }

    pub fn ok(&mut self, took: Duration, bytes: u64) {
        let _ = self.latency.record((took.as_micros() as u64).max(1));
        self.bytes += bytes;
    }

    pub fn error(&mut self, e: String) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(e);
        }
    }

    pub fn merge(&mut self, other: &OpStats) {
        let _ = self.latency.add(&other.latency);
        self.errors += other.errors;
        self.corrupt += other.corrupt;
        self.bytes += other.bytes;
        self.items += other.items;
        if self.first_error.is_none() {
            self.first_error.clone_from(&other.first_error);
        }
    }
}

/// One row of the results.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OpReport {
    pub op: String,
    /// Successful operations.
    pub ops: u64,
    pub ops_per_sec: f64,
    pub mib_per_sec: f64,
    /// Keys per second (listing only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keys_per_sec: Option<f64>,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub errors: u64,
    /// GET bodies that did not match what was written.
    pub corrupt: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
}

/// The results of one run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    pub endpoint: String,
    pub workload: String,
    pub sizes: String,
    pub concurrency: usize,
    pub seconds: f64,
    pub ops: Vec<OpReport>,
    /// Every operation together.
    pub total: OpReport,
}

pub(crate) fn row(op: &str, s: &OpStats, secs: f64) -> OpReport {
    let ms = |q: f64| s.latency.value_at_quantile(q) as f64 / 1000.0;
    let ops = s.latency.len();
    let secs = secs.max(1e-9);
    OpReport {
        op: op.to_string(),
        ops,
        ops_per_sec: ops as f64 / secs,
        mib_per_sec: s.bytes as f64 / secs / (1024.0 * 1024.0),
        keys_per_sec: (s.items > 0).then(|| s.items as f64 / secs),
        p50_ms: ms(0.5),
        p90_ms: ms(0.9),
        p99_ms: ms(0.99),
        max_ms: s.latency.max() as f64 / 1000.0,
        errors: s.errors,
        corrupt: s.corrupt,
        first_error: s.first_error.clone(),
    }
}

impl Report {
    /// The results as a text table.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{} workload against {}: {} clients, sizes {}, {:.1} s\n\n",
            self.workload, self.endpoint, self.concurrency, self.sizes, self.seconds
        );
        out.push_str(&format!(
            "{:<10} {:>9} {:>10} {:>9} {:>11} {:>9} {:>9} {:>9} {:>7}\n",
            "op", "ops", "ops/s", "MiB/s", "keys/s", "p50 ms", "p90 ms", "p99 ms", "errors"
        ));
        for r in self.ops.iter().chain(std::iter::once(&self.total)) {
            out.push_str(&format!(
                "{:<10} {:>9} {:>10.1} {:>9.2} {:>11} {:>9.2} {:>9.2} {:>9.2} {:>7}\n",
                r.op,
                r.ops,
                r.ops_per_sec,
                r.mib_per_sec,
                r.keys_per_sec
                    .map(|k| format!("{k:.0}"))
                    .unwrap_or_else(|| "-".into()),
                r.p50_ms,
                r.p90_ms,
                r.p99_ms,
                r.errors + r.corrupt,
            ));
        }
        for r in &self.ops {
            if r.corrupt > 0 {
                out.push_str(&format!(
                    "\n{}: {} bodies did not match what was written",
                    r.op, r.corrupt
                ));
            }
            if let Some(e) = &r.first_error {
                out.push_str(&format!("\n{}: first error: {e}", r.op));
            }
        }
        out
    }
}
