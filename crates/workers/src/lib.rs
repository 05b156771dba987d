//! Background workers. Each loops over a durable queue kept in the metadata
//! cluster, so that a worker that stops (or dies) loses nothing: the next
//! pass, here or in another process, picks up where it left off.

pub mod gc;
pub mod repair;
pub mod scrub;
mod walk;

pub use gc::GcWorker;
pub use repair::{RepairStats, RepairWorker};
pub use scrub::{ScrubStats, ScrubWorker};
