//! The repair worker: walks every stored block and rebuilds shards that are
//! missing (degraded writes) or on nodes that are down, onto healthy nodes,
//! then records the new locations through Raft.
//!
//! A pass is a paged walk over the block index (the blocks of objects and of
//! parts of uploads in progress); it is cheap for the data that needs
//! nothing (no shard I/O) and bounded in memory.

use crate::walk::{record_repair, run_every, BlockWalk};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tessera_engine::Engine;
use tessera_types::OwnedBlock;
use tessera_util::shutdown::Shutdown;
use tracing::{info, warn};

const PAGE: u32 = 200;

/// Figures of the last completed pass.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct RepairStats {
    pub blocks_checked: u64,
    /// Blocks that needed a shard rebuilt when the pass saw them.
    pub blocks_degraded: u64,
    pub shards_rebuilt: u64,
    pub bytes_rebuilt: u64,
    /// Blocks still short of shards after the pass (too few live nodes).
    pub blocks_still_degraded: u64,
    pub seconds: f64,
    /// When the pass ended, Unix milliseconds.
    pub finished_at: i64,
}

pub struct RepairWorker {
    engine: Arc<Engine>,
    interval: Duration,
    last: Mutex<Option<RepairStats>>,
}

impl RepairWorker {
    pub fn new(engine: Arc<Engine>, interval: Duration) -> Arc<RepairWorker> {
        Arc::new(RepairWorker {
            engine,
            interval,
            last: Mutex::new(None),
        })
    }

    /// The figures of the last completed pass.
    pub fn last_pass(&self) -> Option<RepairStats> {
        self.last.lock().ok().and_then(|l| l.clone())
    }

    /// One pass over every stored block.
    pub async fn pass(&self) -> Result<RepairStats, tessera_engine::Error> {
        let started = Instant::now();
        let mut stats = RepairStats::default();
        let engine = &self.engine;
        let mut walk = BlockWalk::new(PAGE);
        while let Some(blocks) = walk.next_page(engine).await? {
            for OwnedBlock { owner, block } in &blocks {
                stats.blocks_checked += 1;
                if engine.shards_to_repair(block).is_empty() {
                    continue;
                }
                stats.blocks_degraded += 1;
                match engine.repair_block(block, &[]).await {
                    Ok(Some(r)) => {
                        if !record_repair(engine, block, r.block).await? {
                            continue;
                        }
                        stats.shards_rebuilt += r.shards as u64;
                        stats.bytes_rebuilt += r.bytes;
                        if r.still_missing > 0 {
                            stats.blocks_still_degraded += 1;
                        }
                    }
                    Ok(None) => stats.blocks_still_degraded += 1,
                    Err(e) => {
                        warn!(%owner, block = %block.id, error = %e, "repairing a block failed");
                        stats.blocks_still_degraded += 1;
                    }
                }
            }
        }
        stats.seconds = started.elapsed().as_secs_f64();
        stats.finished_at = tessera_types::now_millis();
        if stats.blocks_degraded > 0 {
            info!(
                checked = stats.blocks_checked,
                degraded = stats.blocks_degraded,
                rebuilt_shards = stats.shards_rebuilt,
                rebuilt_mib = stats.bytes_rebuilt as f64 / 1048576.0,
                still_degraded = stats.blocks_still_degraded,
                seconds = stats.seconds,
                "repair pass"
            );
        }
        if let Ok(mut l) = self.last.lock() {
            *l = Some(stats.clone());
        }
        Ok(stats)
    }

    /// Runs passes every `interval` until `shutdown`.
    pub async fn run(self: Arc<Self>, shutdown: Shutdown) {
        run_every("repair", self.interval, shutdown, || self.pass()).await
    }
}
