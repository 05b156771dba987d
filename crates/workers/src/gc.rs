//! The GC worker: deletes the shards of overwritten and deleted object
//! versions, replaced and aborted multipart parts. Entries are queued in meta
//! by the same Raft command that made the data unreachable, and acknowledged
//! only after every shard is gone, so a crash in between just repeats the
//! (idempotent) deletes. Beside the queue it runs the orphan sweep
//! ([`crate::orphans`]), which finds the shards no queue entry names.

use crate::orphans::OrphanSweep;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tessera_engine::Engine;
use tessera_util::shutdown::Shutdown;
use tracing::{debug, info, warn};

/// Entries taken from the queue per pass.
const BATCH: u32 = 100;
/// Longest pause after failures.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

pub struct GcWorker {
    engine: Arc<Engine>,
    idle_interval: Duration,
    blocks_freed: AtomicU64,
    orphans: OrphanSweep,
}

/// The outcome of one pass over the queue.
#[derive(Debug, PartialEq, Eq)]
pub enum Pass {
    /// Entries were freed; run again at once.
    Busy(usize),
    /// The queue is empty.
    Idle,
    /// Some entries could not be freed (a node unreachable); retry later.
    Throttled,
}

impl GcWorker {
    /// A worker polling the GC queue every `idle_interval` when it is
    /// empty, and sweeping for orphaned shards every `sweep_interval`,
    /// sparing shards younger than `grace`.
    pub fn new(
        engine: Arc<Engine>,
        idle_interval: Duration,
        sweep_interval: Duration,
        grace: Duration,
    ) -> Arc<GcWorker> {
        Arc::new(GcWorker {
            orphans: OrphanSweep::new(Arc::clone(&engine), sweep_interval, grace),
            engine,
            idle_interval,
            blocks_freed: AtomicU64::new(0),
        })
    }

    /// The orphan sweep.
    pub fn orphans(&self) -> &OrphanSweep {
        &self.orphans
    }

    /// Blocks freed since start.
    pub fn blocks_freed(&self) -> u64 {
        self.blocks_freed.load(Ordering::Relaxed)
    }

    /// Frees one batch of queued entries.
    pub async fn pass(&self) -> Result<Pass, tessera_engine::Error> {
        let entries = self.engine.meta().list_gc(BATCH).await?;
        if entries.is_empty() {
            return Ok(Pass::Idle);
        }
        // One request per node for the whole batch; an entry is done when
        // none of its shards is on a node that failed.
        let failed = self
            .engine
            .delete_shards_of(entries.iter().flat_map(|e| &e.blocks))
            .await;
        let mut done = Vec::with_capacity(entries.len());
        let mut blocks = 0u64;
        for e in &entries {
            let on_failed = e
                .blocks
                .iter()
                .flat_map(|b| b.shards.iter().flatten())
                .any(|s| failed.contains(&s.node));
            if !on_failed {
                done.push(e.seq);
                blocks += e.blocks.len() as u64;
            }
        }
        let freed = done.len();
        if !done.is_empty() {
            self.engine.meta().ack_gc(done).await?;
            self.blocks_freed.fetch_add(blocks, Ordering::Relaxed);
            debug!(entries = freed, blocks, "gc freed blocks");
        }
        if freed < entries.len() {
            Ok(Pass::Throttled)
        } else {
            Ok(Pass::Busy(freed))
        }
    }

    /// Runs passes over the queue, and orphan sweeps, until `shutdown`.
    pub async fn run(self: Arc<Self>, shutdown: Shutdown) {
        tokio::join!(
            self.run_queue(shutdown.clone()),
            self.orphans.run(shutdown.wait())
        );
    }

    async fn run_queue(&self, shutdown: Shutdown) {
        info!("gc worker started");
        let stop = shutdown.wait();
        tokio::pin!(stop);
        let mut backoff = self.idle_interval;
        loop {
            let pause = match self.pass().await {
                Ok(Pass::Busy(_)) => {
                    backoff = self.idle_interval;
                    Duration::ZERO
                }
                Ok(Pass::Idle) => self.idle_interval,
                Ok(Pass::Throttled) | Err(_) => {
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    warn!(
                        retry_in_secs = backoff.as_secs(),
                        "gc could not free everything"
                    );
                    backoff
                }
            };
            tokio::select! {
                _ = &mut stop => break,
                _ = tokio::time::sleep(pause) => {}
            }
        }
        info!("gc worker stopped");
    }
}
