//! The scrub worker: re-reads every shard on a schedule, so that bit rot is
//! found before a second failure makes a block unreadable, and rebuilds what
//! it finds corrupt (or missing) from the block's other shards.

use crate::walk::{record_repair, run_every, BlockWalk};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tessera_engine::Engine;
use tessera_types::OwnedBlock;
use tessera_util::shutdown::Shutdown;
use tracing::{info, warn};

const PAGE: u32 = 100;

/// Figures of the last completed scrub pass.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ScrubStats {
    pub blocks_checked: u64,
    pub bad_shards: u64,
    pub shards_rebuilt: u64,
    pub seconds: f64,
    /// When the pass ended, Unix milliseconds.
    pub finished_at: i64,
}

pub struct ScrubWorker {
    engine: Arc<Engine>,
    interval: Duration,
    last: Mutex<Option<ScrubStats>>,
}

impl ScrubWorker {
    pub fn new(engine: Arc<Engine>, interval: Duration) -> Arc<ScrubWorker> {
        Arc::new(ScrubWorker {
            engine,
            interval,
            last: Mutex::new(None),
        })
    }

    pub fn last_pass(&self) -> Option<ScrubStats> {
        self.last.lock().ok().and_then(|l| l.clone())
    }

    /// Reads every shard of every object once; rebuilds the bad ones.
    pub async fn pass(&self) -> Result<ScrubStats, tessera_engine::Error> {
        let started = Instant::now();
        let mut stats = ScrubStats::default();
        let engine = &self.engine;
        let mut walk = BlockWalk::new(PAGE);
        while let Some(blocks) = walk.next_page(engine).await? {
            for OwnedBlock { owner, block } in &blocks {
                stats.blocks_checked += 1;
                let bad = engine.scrub_block(block).await;
                if bad.is_empty() {
                    continue;
                }
                stats.bad_shards += bad.len() as u64;
                match engine.repair_block(block, &bad).await {
                    Ok(Some(r)) => {
                        if !record_repair(engine, block, r.block).await? {
                            continue;
                        }
                        stats.shards_rebuilt += r.shards as u64;
                    }
                    Ok(None) => {}
                    Err(e) => {
                        warn!(%owner, block = %block.id, error = %e, "rebuilding scrubbed shards failed")
                    }
                }
            }
        }
        stats.seconds = started.elapsed().as_secs_f64();
        stats.finished_at = tessera_types::now_millis();
        info!(
            checked = stats.blocks_checked,
            bad_shards = stats.bad_shards,
            rebuilt_shards = stats.shards_rebuilt,
            seconds = stats.seconds,
            "scrub pass"
        );
        if let Ok(mut l) = self.last.lock() {
            *l = Some(stats.clone());
        }
        Ok(stats)
    }

    /// Runs a pass every `interval` until `shutdown`.
    pub async fn run(self: Arc<Self>, shutdown: Shutdown) {
        run_every("scrub", self.interval, shutdown, || self.pass()).await
    }
}
