//! What the notification and replication workers share: leasing entries of
//! their kind from the outbox in the metadata group, settling them (ack
//! what was delivered, count failed attempts), the figures they report,
//! and the loop that runs their passes.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tessera_engine::Engine;
use tessera_types::events::{OutboxEvent, OutboxKind};
use tessera_types::meta::EventStats;
use tessera_types::now_millis;
use tessera_util::shutdown::Shutdown;
use tracing::{info, warn};

/// The longest pause between passes while deliveries fail.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What an outbox worker reports.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct OutboxStats {
    /// Entries delivered since start.
    pub delivered: u64,
    /// Failed delivery attempts since start.
    pub failed_attempts: u64,
    /// Entries waiting for delivery.
    pub backlog: u64,
    /// Entries given up on (kept for an operator to replay).
    pub failed: u64,
    /// Age of the oldest waiting entry.
    pub lag_seconds: f64,
}

/// Why one delivery failed, and how many attempts it may take in all
/// before it is kept as failed.
#[derive(Debug, Clone)]
pub struct Failure {
    pub error: String,
    pub max_attempts: u32,
}

/// A worker's hold on the outbox entries of one kind.
pub struct Pump {
    engine: Arc<Engine>,
    kind: OutboxKind,
    /// This worker's lease holder name.
    id: String,
    delivered: AtomicU64,
    failed_attempts: AtomicU64,
    /// The outbox as the last pass saw it.
    outbox: std::sync::Mutex<EventStats>,
}

impl Pump {
    pub fn new(engine: Arc<Engine>, kind: OutboxKind, name: &str) -> Pump {
        Pump {
            engine,
            kind,
            id: format!("{name}-{:016x}", rand_id()),
            delivered: AtomicU64::new(0),
            failed_attempts: AtomicU64::new(0),
            outbox: Default::default(),
        }
    }

    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Deliveries since start, and the outbox as the last pass saw it.
    pub fn stats(&self) -> OutboxStats {
        let outbox = self.outbox.lock().map(|o| o.clone()).unwrap_or_default();
        OutboxStats {
            delivered: self.delivered.load(Ordering::Relaxed),
            failed_attempts: self.failed_attempts.load(Ordering::Relaxed),
            backlog: outbox.pending,
            failed: outbox.failed,
            lag_seconds: outbox.lag_seconds(now_millis()),
        }
    }

    /// Refreshes the figures, then leases up to `max` entries for `lease`
    /// (none when nothing waits: leasing is a Raft write, not worth making
    /// for an empty outbox).
    pub async fn lease(
        &self,
        lease: Duration,
        max: u32,
    ) -> Result<Vec<OutboxEvent>, tessera_engine::Error> {
        let meta = self.engine.meta();
        let stats = meta.event_stats(Some(self.kind), None).await?;
        let pending = stats.pending;
        if let Ok(mut o) = self.outbox.lock() {
            *o = stats;
        }
        if pending == 0 {
            return Ok(Vec::new());
        }
        let lease_ms = lease.as_millis() as u64;
        Ok(meta
            .lease_events(self.kind, &self.id, now_millis(), lease_ms, max)
            .await?)
    }

    /// Extends the leases of entries still being delivered.
    pub async fn renew(&self, seqs: Vec<u64>, lease: Duration) {
        let until = now_millis() + lease.as_millis() as i64;
        if let Err(e) = self.engine.meta().renew_leases(&self.id, seqs, until).await {
            warn!(error = %e, "could not renew leases");
        }
    }

    /// Acknowledges the delivered entries and records the failed attempts.
    /// Returns (delivered, failed).
    pub async fn settle(
        &self,
        results: Vec<(u64, Result<(), Failure>)>,
    ) -> Result<(usize, usize), tessera_engine::Error> {
        let meta = self.engine.meta();
        let mut done = Vec::new();
        let mut failed: std::collections::HashMap<(String, u32), Vec<u64>> = Default::default();
        for (seq, r) in results {
            match r {
                Ok(()) => done.push(seq),
                Err(f) => failed
                    .entry((f.error, f.max_attempts))
                    .or_default()
                    .push(seq),
            }
        }
        let (ok, bad) = (done.len(), failed.values().map(Vec::len).sum::<usize>());
        if !done.is_empty() {
            meta.ack_events(done).await?;
        }
        for ((error, max_attempts), seqs) in failed {
            warn!(kind = ?self.kind, entries = seqs.len(), %error, "delivery failed");
            meta.retry_events(seqs, &error, max_attempts).await?;
        }
        self.delivered.fetch_add(ok as u64, Ordering::Relaxed);
        self.failed_attempts
            .fetch_add(bad as u64, Ordering::Relaxed);
        Ok((ok, bad))
    }
}

/// Runs `pass` until `shutdown`: at once while entries flow, every `idle`
/// when none wait, backing off while deliveries fail.
pub async fn run_passes<F, Fut>(name: &str, idle: Duration, shutdown: Shutdown, mut pass: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(usize, usize), tessera_engine::Error>>,
{
    info!(worker = name, "outbox worker started");
    let stop = shutdown.wait();
    tokio::pin!(stop);
    let mut backoff = idle;
    loop {
        let pause = match pass().await {
            Ok((0, 0)) => idle,
            Ok((_, 0)) => {
                backoff = idle;
                Duration::ZERO
            }
            Ok(_) => {
                backoff = (backoff * 2).min(MAX_BACKOFF);
                backoff
            }
            Err(e) => {
                warn!(worker = name, error = %e, "outbox pass failed");
                backoff = (backoff * 2).min(MAX_BACKOFF);
                backoff
            }
        };
        tokio::select! {
            _ = &mut stop => break,
            _ = tokio::time::sleep(pause) => {}
        }
    }
    info!(worker = name, "outbox worker stopped");
}

fn rand_id() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(now_millis() as u64);
    h.finish()
}
