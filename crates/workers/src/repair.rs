//! The repair worker: rebuilds shards that are missing (degraded writes) or
//! on nodes that are no longer live (down, or removed by an operator) onto
//! healthy nodes, then records the new locations through Raft.
//!
//! Every `queue_interval` it drains the repair queue, which meta fills with
//! every block recorded with a missing shard (so degraded writes are fixed
//! within seconds); every `interval` it runs a full pass: the queue, then a
//! paged walk over every stored block through the block index, parts of
//! uploads still in progress included. The walk does no shard I/O for
//! blocks that need nothing.

use crate::walk::{record_repair, BlockWalk};
use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tessera_engine::{Engine, Error};
use tessera_types::{BlockId, OwnedBlock};
use tessera_util::shutdown::Shutdown;
use tracing::{info, warn};

const PAGE: u32 = 200;

/// Figures of one pass (or of one drain of the queue).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct RepairStats {
    pub blocks_checked: u64,
    /// Of those, taken from the repair queue.
    pub queued_blocks: u64,
    /// Blocks that needed a shard rebuilt when the pass saw them.
    pub blocks_degraded: u64,
    /// Blocks whose rebuilt shards were recorded.
    pub blocks_repaired: u64,
    pub shards_rebuilt: u64,
    pub bytes_rebuilt: u64,
    /// Blocks still short of shards after the pass (too few live nodes, or
    /// the rebuild failed).
    pub blocks_still_degraded: u64,
    /// Objects (and parts of uploads in progress) holding such a block.
    pub objects_still_degraded: u64,
    pub seconds: f64,
    /// When the pass ended, Unix milliseconds.
    pub finished_at: i64,
}

/// What the queue drains between full passes did, since start.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct QueueStats {
    /// Blocks in the queue at the last check (`None` before the first).
    pub length: Option<u64>,
    pub drains: u64,
    pub blocks_repaired: u64,
    pub shards_rebuilt: u64,
    pub bytes_rebuilt: u64,
}

/// The state of one pass: its figures, and what it has seen.
#[derive(Default)]
struct Run {
    stats: RepairStats,
    /// Blocks handled from the queue (the walk skips them).
    queued: HashSet<BlockId>,
    /// Hashes of the owners of blocks left short.
    short_owners: HashSet<u64>,
}

pub struct RepairWorker {
    engine: Arc<Engine>,
    interval: Duration,
    queue_interval: Duration,
    last: Mutex<Option<RepairStats>>,
    queue: Mutex<QueueStats>,
}

impl RepairWorker {
    /// A worker running a full pass every `interval` and draining the
    /// repair queue every `queue_interval` in between.
    pub fn new(
        engine: Arc<Engine>,
        interval: Duration,
        queue_interval: Duration,
    ) -> Arc<RepairWorker> {
        Arc::new(RepairWorker {
            engine,
            interval,
            queue_interval,
            last: Mutex::new(None),
            queue: Mutex::new(QueueStats::default()),
        })
    }

    /// The figures of the last completed full pass.
    pub fn last_pass(&self) -> Option<RepairStats> {
        self.last.lock().ok().and_then(|l| l.clone())
    }

    /// What the queue drains did since start, and the last queue length.
    pub fn queue_stats(&self) -> QueueStats {
        self.queue.lock().map(|q| q.clone()).unwrap_or_default()
    }

    /// The configured intervals: full passes, queue drains.
    pub fn intervals(&self) -> (Duration, Duration) {
        (self.interval, self.queue_interval)
    }

    /// Rebuilds what `block` needs, recording the outcome in `run`.
    async fn repair_one(&self, ob: &OwnedBlock, run: &mut Run) -> Result<(), Error> {
        let (engine, block) = (&self.engine, &ob.block);
        run.stats.blocks_checked += 1;
        if engine.shards_to_repair(block).is_empty() {
            return Ok(());
        }
        run.stats.blocks_degraded += 1;
        let short = match engine.repair_block(block, &[]).await {
            Ok(Some(r)) => {
                if record_repair(engine, block, r.block).await? {
                    run.stats.blocks_repaired += 1;
                    run.stats.shards_rebuilt += r.shards as u64;
                    run.stats.bytes_rebuilt += r.bytes;
                    r.still_missing > 0
                } else {
                    // Freed or changed meanwhile: the next pass sees it anew.
                    false
                }
            }
            Ok(None) => true,
            Err(e) => {
                warn!(owner = %ob.owner, block = %block.id, error = %e, "repairing a block failed");
                true
            }
        };
        if short {
            run.stats.blocks_still_degraded += 1;
            let mut h = DefaultHasher::new();
            ob.owner.hash(&mut h);
            run.short_owners.insert(h.finish());
        }
        Ok(())
    }

    /// Repairs every block of the repair queue once.
    async fn drain(&self, run: &mut Run) -> Result<(), Error> {
        let mut after = None;
        loop {
            let page = self.engine.meta().list_repair_queue(after, PAGE).await?;
            let Some(last) = page.last() else {
                return Ok(());
            };
            after = Some(last.block.id);
            for ob in &page {
                if run.queued.insert(ob.block.id) {
                    run.stats.queued_blocks += 1;
                    self.repair_one(ob, run).await?;
                }
            }
        }
    }

    /// Checks the repair queue and repairs what it holds.
    pub async fn drain_queue(&self) -> Result<RepairStats, Error> {
        let mut length = self.engine.meta().repair_queue_length().await?;
        let mut run = Run::default();
        if length > 0 {
            self.drain(&mut run).await?;
            length = self.engine.meta().repair_queue_length().await?;
        }
        let s = &run.stats;
        if let Ok(mut q) = self.queue.lock() {
            q.length = Some(length);
            q.drains += 1;
            q.blocks_repaired += s.blocks_repaired;
            q.shards_rebuilt += s.shards_rebuilt;
            q.bytes_rebuilt += s.bytes_rebuilt;
        }
        if s.blocks_degraded > 0 {
            info!(
                queued = s.queued_blocks,
                repaired = s.blocks_repaired,
                rebuilt_shards = s.shards_rebuilt,
                still_degraded = s.blocks_still_degraded,
                "repair queue drained"
            );
        }
        Ok(run.stats)
    }

    /// One full pass: the repair queue, then every stored block.
    pub async fn pass(&self) -> Result<RepairStats, Error> {
        let started = Instant::now();
        let mut run = Run::default();
        self.drain(&mut run).await?;
        let mut walk = BlockWalk::new(PAGE);
        while let Some(blocks) = walk.next_page(&self.engine).await? {
            for ob in &blocks {
                if !run.queued.contains(&ob.block.id) {
                    self.repair_one(ob, &mut run).await?;
                }
            }
        }
        let mut stats = run.stats;
        stats.objects_still_degraded = run.short_owners.len() as u64;
        stats.seconds = started.elapsed().as_secs_f64();
        stats.finished_at = tessera_types::now_millis();
        if stats.blocks_degraded > 0 {
            info!(
                checked = stats.blocks_checked,
                queued = stats.queued_blocks,
                degraded = stats.blocks_degraded,
                rebuilt_shards = stats.shards_rebuilt,
                rebuilt_mib = stats.bytes_rebuilt as f64 / 1048576.0,
                still_degraded = stats.blocks_still_degraded,
                objects_still_degraded = stats.objects_still_degraded,
                seconds = stats.seconds,
                "repair pass"
            );
        }
        if let Ok(mut l) = self.last.lock() {
            *l = Some(stats.clone());
        }
        let length = self.engine.meta().repair_queue_length().await?;
        if let Ok(mut q) = self.queue.lock() {
            q.length = Some(length);
        }
        Ok(stats)
    }

    /// Drains the queue every `queue_interval` and runs a full pass every
    /// `interval`, until `shutdown`.
    pub async fn run(self: Arc<Self>, shutdown: Shutdown) {
        info!(
            interval_secs = self.interval.as_secs(),
            queue_interval_secs = self.queue_interval.as_secs(),
            "repair worker started"
        );
        let stop = shutdown.wait();
        tokio::pin!(stop);
        let tick = self.queue_interval.min(self.interval);
        let mut next_pass = Instant::now() + self.interval;
        loop {
            tokio::select! {
                _ = &mut stop => break,
                _ = tokio::time::sleep(tick) => {}
            }
            let outcome = if Instant::now() >= next_pass {
                let r = self.pass().await.map(|_| ());
                next_pass = Instant::now() + self.interval;
                r
            } else {
                self.drain_queue().await.map(|_| ())
            };
            if let Err(e) = outcome {
                warn!(error = %e, "repair pass failed");
            }
        }
        info!("repair worker stopped");
    }
}
