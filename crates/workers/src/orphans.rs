//! The orphan sweep: deletes shards that no record places where they are.
//!
//! Two kinds of shards are never referenced and would otherwise stay on disk
//! forever: orphans (shards of a PUT whose gateway died before committing
//! it, rebuilt shards of a repair that meta refused, blocks freed while a
//! node was unreachable) and stale shards (left on a node that came back
//! after repair rebuilt them elsewhere, or on a removed node once repair has
//! moved its blocks away).
//!
//! Every `interval`, each running storage node's shards are listed page by
//! page. Shards written within the last `grace` (by the node's own clock)
//! are left alone: a write stores its shards before it commits them to meta,
//! and a repair writes a rebuilt shard before recording it. The blocks of
//! the older ones are looked up in meta, and a shard is deleted if no record
//! holds its block, or if the block's record does not place that shard index
//! on that node. The deletion itself only removes files not written since
//! the cutoff, so a shard rewritten meanwhile survives.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tessera_engine::Engine;
use tessera_types::{BlockId, BlockRef, NodeInfo, ShardId};
use tracing::{debug, info, warn};

/// Shards listed per page (and block ids looked up per query).
const PAGE: u32 = 1000;

/// Figures of one sweep over every running storage node.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct SweepStats {
    pub nodes_swept: u64,
    /// Nodes that could not be listed or cleaned (retried next sweep).
    pub nodes_failed: u64,
    pub shards_listed: u64,
    /// Listed shards younger than the grace period, left alone.
    pub shards_too_young: u64,
    /// Deleted: no record holds their block.
    pub orphans_deleted: u64,
    /// Deleted: their block's record places that shard elsewhere.
    pub stale_deleted: u64,
    /// Shard data bytes those deletions freed (about: headers excluded).
    pub bytes_deleted: u64,
    pub seconds: f64,
    /// When the pass ended, Unix milliseconds.
    pub finished_at: i64,
}

impl SweepStats {
    fn add(&mut self, o: &SweepStats) {
        self.shards_listed += o.shards_listed;
        self.shards_too_young += o.shards_too_young;
        self.orphans_deleted += o.orphans_deleted;
        self.stale_deleted += o.stale_deleted;
        self.bytes_deleted += o.bytes_deleted;
    }
}

/// Totals since start, as the admin API shows them.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct SweepTotals {
    pub sweeps: u64,
    pub orphans_deleted: u64,
    pub stale_deleted: u64,
    pub bytes_deleted: u64,
}

pub struct OrphanSweep {
    engine: Arc<Engine>,
    interval: Duration,
    grace: Duration,
    last: Mutex<Option<SweepStats>>,
    sweeps: AtomicU64,
    orphans: AtomicU64,
    stale: AtomicU64,
    bytes: AtomicU64,
}

/// Why a shard is to go.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Keep,
    Orphan,
    Stale,
}

/// What to do with shard `index` of a block on `node`, given the block's
/// current record (`None`: no record holds it).
fn judge(current: Option<&BlockRef>, index: u8, node: u64) -> Verdict {
    match current {
        None => Verdict::Orphan,
        Some(b) => match b.shards.get(usize::from(index)) {
            Some(Some(s)) if s.node == node => Verdict::Keep,
            _ => Verdict::Stale,
        },
    }
}

impl OrphanSweep {
    pub fn new(engine: Arc<Engine>, interval: Duration, grace: Duration) -> OrphanSweep {
        OrphanSweep {
            engine,
            interval,
            grace,
            last: Mutex::new(None),
            sweeps: AtomicU64::new(0),
            orphans: AtomicU64::new(0),
            stale: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
        }
    }

    /// The configured interval and grace period.
    pub fn settings(&self) -> (Duration, Duration) {
        (self.interval, self.grace)
    }

    /// The figures of the last completed sweep.
    pub fn last_sweep(&self) -> Option<SweepStats> {
        self.last.lock().ok().and_then(|l| l.clone())
    }

    /// What every sweep since start deleted.
    pub fn totals(&self) -> SweepTotals {
        SweepTotals {
            sweeps: self.sweeps.load(Ordering::Relaxed),
            orphans_deleted: self.orphans.load(Ordering::Relaxed),
            stale_deleted: self.stale.load(Ordering::Relaxed),
            bytes_deleted: self.bytes.load(Ordering::Relaxed),
        }
    }

    /// One sweep over every running storage node (live ones, and removed
    /// ones still running).
    pub async fn sweep(&self) -> SweepStats {
        let started = Instant::now();
        let mut stats = SweepStats::default();
        if let Err(e) = self.engine.refresh_nodes().await {
            warn!(error = %e, "orphan sweep: refreshing the cluster map failed");
        }
        for node in self.engine.running_nodes() {
            let mut node_stats = SweepStats::default();
            let outcome = self.sweep_node(&node, &mut node_stats).await;
            stats.add(&node_stats);
            match outcome {
                Ok(()) => stats.nodes_swept += 1,
                Err(e) => {
                    stats.nodes_failed += 1;
                    warn!(node_id = node.id, error = %e, "orphan sweep of a node failed");
                }
            }
            if node_stats.orphans_deleted + node_stats.stale_deleted > 0 {
                info!(
                    node_id = node.id,
                    orphans = node_stats.orphans_deleted,
                    stale = node_stats.stale_deleted,
                    mib = node_stats.bytes_deleted as f64 / 1048576.0,
                    "orphan sweep deleted shards"
                );
            }
        }
        stats.seconds = started.elapsed().as_secs_f64();
        stats.finished_at = tessera_types::now_millis();
        self.sweeps.fetch_add(1, Ordering::Relaxed);
        self.orphans
            .fetch_add(stats.orphans_deleted, Ordering::Relaxed);
        self.stale.fetch_add(stats.stale_deleted, Ordering::Relaxed);
        self.bytes.fetch_add(stats.bytes_deleted, Ordering::Relaxed);
        info!(
            nodes = stats.nodes_swept,
            failed = stats.nodes_failed,
            listed = stats.shards_listed,
            orphans_deleted = stats.orphans_deleted,
            stale_deleted = stats.stale_deleted,
            seconds = stats.seconds,
            "orphan sweep"
        );
        if let Ok(mut l) = self.last.lock() {
            *l = Some(stats.clone());
        }
        stats
    }

    /// Sweeps one node, page by page.
    async fn sweep_node(&self, node: &NodeInfo, stats: &mut SweepStats) -> Result<(), String> {
        let client = self
            .engine
            .pool()
            .get(node.id)
            .ok_or_else(|| format!("no client for node {}", node.id))?;
        let grace_ms = i64::try_from(self.grace.as_millis()).unwrap_or(i64::MAX);
        // Judged by the node's clock (the one that stamped its files), fixed
        // at the first page: shards written during the sweep are younger.
        let mut cutoff: Option<i64> = None;
        let mut after: Option<ShardId> = None;
        loop {
            let page = client
                .list_shards(after, PAGE)
                .await
                .map_err(|e| format!("listing shards: {e}"))?;
            let cutoff = *cutoff.get_or_insert(page.node_now_ms.saturating_sub(grace_ms));
            stats.shards_listed += page.shards.len() as u64;
            let old: Vec<_> = page
                .shards
                .iter()
                .filter(|s| s.modified_ms < cutoff)
                .collect();
            stats.shards_too_young += (page.shards.len() - old.len()) as u64;
            if !old.is_empty() {
                let mut ids: Vec<BlockId> = old.iter().map(|s| s.id.block).collect();
                ids.dedup();
                let refs = self
                    .engine
                    .meta()
                    .get_blocks(ids.clone())
                    .await
                    .map_err(|e| format!("looking up blocks: {e}"))?;
                let current: HashMap<BlockId, Option<BlockRef>> =
                    ids.into_iter().zip(refs).collect();
                for verdict in [Verdict::Orphan, Verdict::Stale] {
                    let doomed: Vec<_> = old
                        .iter()
                        .filter(|s| {
                            let block = current.get(&s.id.block).and_then(Option::as_ref);
                            judge(block, s.id.index, node.id) == verdict
                        })
                        .collect();
                    if doomed.is_empty() {
                        continue;
                    }
                    let ids: Vec<ShardId> = doomed.iter().map(|s| s.id).collect();
                    let deleted = u64::from(
                        client
                            .delete_shards_modified_before(&ids, cutoff.max(1))
                            .await
                            .map_err(|e| format!("deleting shards: {e}"))?,
                    );
                    let bytes: u64 = doomed.iter().map(|s| s.len).sum();
                    // Shards rewritten since the listing were kept.
                    stats.bytes_deleted += bytes * deleted / ids.len() as u64;
                    for s in &doomed {
                        debug!(node_id = node.id, shard = %s.id, kind = if verdict == Verdict::Orphan { "orphan" } else { "stale" }, "deleting unreferenced shard");
                    }
                    match verdict {
                        Verdict::Orphan => stats.orphans_deleted += deleted,
                        _ => stats.stale_deleted += deleted,
                    }
                }
            }
            match page.shards.last() {
                Some(last) if page.more => after = Some(last.id),
                _ => return Ok(()),
            }
        }
    }

    /// Runs a sweep every `interval` until `stop` completes.
    pub(crate) async fn run(&self, stop: impl std::future::Future<Output = ()>) {
        info!(
            interval_secs = self.interval.as_secs(),
            grace_secs = self.grace.as_secs(),
            "orphan sweep started"
        );
        tokio::pin!(stop);
        loop {
            tokio::select! {
                _ = &mut stop => break,
                _ = tokio::time::sleep(self.interval) => {}
            }
            // Stopping mid-sweep is safe: each deletion stands on its own.
            tokio::select! {
                _ = &mut stop => break,
                _ = self.sweep() => {}
            }
        }
        info!("orphan sweep stopped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_types::{ErasureProfile, ShardRef};

    #[test]
    fn shards_are_kept_only_where_their_record_places_them() {
        let shard = |node| {
            Some(ShardRef {
                node,
                blake3: [0; 32],
            })
        };
        let block = BlockRef {
            id: BlockId([1; 16]),
            size: 1,
            profile: ErasureProfile { data: 2, parity: 1 },
            shard_len: 1,
            shards: vec![shard(1), None, shard(3)],
        };
        assert!(judge(None, 0, 1) == Verdict::Orphan);
        assert!(judge(Some(&block), 0, 1) == Verdict::Keep);
        assert!(judge(Some(&block), 0, 2) == Verdict::Stale);
        assert!(
            judge(Some(&block), 1, 2) == Verdict::Stale,
            "a missing shard"
        );
        assert!(judge(Some(&block), 2, 3) == Verdict::Keep);
        assert!(judge(Some(&block), 7, 3) == Verdict::Stale, "no such index");
    }
}
