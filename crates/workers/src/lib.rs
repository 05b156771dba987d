//! Background workers. Each loops over a durable queue kept in the metadata
//! cluster (or over the metadata itself), so that a worker that stops (or
//! dies) loses nothing: the next pass, here or in another process, picks up
//! where it left off.

pub mod gc;
pub mod notify;
pub mod orphans;
pub mod outbox;
pub mod remote;
pub mod repair;
pub mod replicate;
pub mod scrub;
pub mod status;
mod walk;

pub use gc::GcWorker;
pub use notify::{NotifyStats, NotifyWorker};
pub use orphans::{OrphanSweep, SweepStats, SweepTotals};
pub use outbox::OutboxStats;
pub use repair::{QueueStats, RepairStats, RepairWorker};
pub use replicate::{ReplicationStats, ReplicationWorker};
pub use scrub::{ScrubStats, ScrubWorker};
pub use status::{report, WorkersReport};
