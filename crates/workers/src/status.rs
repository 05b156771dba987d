//! What the admin API shows of the workers (`GET /v1/repair`).

use crate::orphans::{SweepStats, SweepTotals};
use crate::repair::{QueueStats, RepairStats};
use crate::scrub::ScrubStats;
use crate::{GcWorker, RepairWorker, ScrubWorker};
use serde::Serialize;

/// The workers of a process, as the admin API reports them.
#[derive(Debug, Clone, Serialize)]
pub struct WorkersReport {
    /// Blocks in the repair queue (recorded with a missing shard) at the
    /// last check.
    pub repair_queue_length: Option<u64>,
    /// Blocks still short of shards after the last full pass.
    pub blocks_below_full_redundancy: Option<u64>,
    /// Objects (and parts of uploads in progress) holding such blocks.
    pub objects_below_full_redundancy: Option<u64>,
    /// Rebuild rate of the last full pass that rebuilt anything, MiB/s.
    pub rebuild_rate_mib_s: Option<f64>,
    /// A rough estimate of the time to full redundancy, seconds.
    pub eta_secs: Option<f64>,
    pub repair_interval_secs: u64,
    pub repair_queue_interval_secs: u64,
    /// The last full repair pass.
    pub repair: Option<RepairStats>,
    /// The queue drains between full passes, since start.
    pub repair_queue: QueueStats,
    /// The last scrub pass.
    pub scrub: Option<ScrubStats>,
    pub gc: GcReport,
}

/// The GC worker: its queue and the orphan sweep.
#[derive(Debug, Clone, Serialize)]
pub struct GcReport {
    /// Blocks whose shards the GC queue freed since start.
    pub blocks_freed: u64,
    pub orphan_sweep_interval_secs: u64,
    pub orphan_grace_secs: u64,
    /// The last orphan sweep.
    pub orphan_sweep: Option<SweepStats>,
    /// What every sweep since start deleted.
    pub orphan_sweep_totals: SweepTotals,
}

/// Rebuild rate (MiB/s) and ETA (s) from the last pass and the queue.
fn rate_and_eta(
    last: Option<&RepairStats>,
    queue_length: Option<u64>,
    interval_secs: f64,
) -> (Option<f64>, Option<f64>) {
    let short = last.map(|r| r.blocks_still_degraded);
    let remaining = match (short, queue_length) {
        (None, None) => return (None, None),
        (a, b) => a.unwrap_or(0).max(b.unwrap_or(0)),
    };
    let rate = last
        .filter(|r| r.seconds > 0.0 && r.bytes_rebuilt > 0 && r.blocks_repaired > 0)
        .map(|r| {
            let rate = r.bytes_rebuilt as f64 / r.seconds;
            let per_block = r.bytes_rebuilt as f64 / r.blocks_repaired as f64;
            (rate, per_block)
        });
    let eta = match (remaining, rate) {
        (0, _) => Some(0.0),
        // The remaining blocks at the last pass's rate, after the next pass
        // starts.
        (n, Some((rate, per_block))) => Some(n as f64 * per_block / rate + interval_secs),
        (_, None) => None,
    };
    (rate.map(|(r, _)| r / 1_048_576.0), eta)
}

/// The report of `repair`, `scrub` and `gc`.
pub fn report(repair: &RepairWorker, scrub: &ScrubWorker, gc: &GcWorker) -> WorkersReport {
    let last = repair.last_pass();
    let queue = repair.queue_stats();
    let (interval, queue_interval) = repair.intervals();
    let (rate, eta) = rate_and_eta(last.as_ref(), queue.length, interval.as_secs_f64());
    let (sweep_interval, grace) = gc.orphans().settings();
    WorkersReport {
        repair_queue_length: queue.length,
        blocks_below_full_redundancy: last.as_ref().map(|r| r.blocks_still_degraded),
        objects_below_full_redundancy: last.as_ref().map(|r| r.objects_still_degraded),
        rebuild_rate_mib_s: rate,
        eta_secs: eta,
        repair_interval_secs: interval.as_secs(),
        repair_queue_interval_secs: queue_interval.as_secs(),
        repair: last,
        repair_queue: queue,
        scrub: scrub.last_pass(),
        gc: GcReport {
            blocks_freed: gc.blocks_freed(),
            orphan_sweep_interval_secs: sweep_interval.as_secs(),
            orphan_grace_secs: grace.as_secs(),
            orphan_sweep: gc.orphans().last_sweep(),
            orphan_sweep_totals: gc.orphans().totals(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eta_from_the_last_pass_and_the_queue() {
        assert_eq!(rate_and_eta(None, None, 30.0), (None, None));
        assert_eq!(rate_and_eta(None, Some(0), 30.0), (None, Some(0.0)));
        assert_eq!(rate_and_eta(None, Some(5), 30.0), (None, None));
        let pass = RepairStats {
            blocks_repaired: 10,
            bytes_rebuilt: 10 * 1_048_576,
            blocks_still_degraded: 4,
            seconds: 2.0,
            ..Default::default()
        };
        // 5 MiB/s, 1 MiB per block: 4 blocks (or 6 queued) take 0.8 s (1.2 s)
        // once the next pass starts.
        let close = |got: (Option<f64>, Option<f64>), rate: f64, eta: f64| {
            let (r, e) = (got.0.unwrap(), got.1.unwrap());
            assert!((r - rate).abs() < 1e-9 && (e - eta).abs() < 1e-9, "{got:?}");
        };
        close(rate_and_eta(Some(&pass), Some(1), 30.0), 5.0, 30.8);
        close(rate_and_eta(Some(&pass), Some(6), 30.0), 5.0, 31.2);
        let idle = RepairStats::default();
        assert_eq!(rate_and_eta(Some(&idle), Some(0), 30.0), (None, Some(0.0)));
    }
}
