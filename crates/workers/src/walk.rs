//! What the repair and scrub workers share: a paged walk over every block of
//! every object, and the loop that runs a pass on a schedule.

use std::future::Future;
use std::time::Duration;
use tessera_engine::{Engine, Error};
use tessera_types::{BlockRef, Segment};
use tessera_util::shutdown::Shutdown;
use tracing::{info, warn};

/// A paged walk over every erasure-coded block of every object, in key
/// order: each page is the blocks of up to `page` object records, as
/// (bucket, key, block).
pub(crate) struct BlockWalk {
    page: u32,
    after: Option<(String, String)>,
    done: bool,
}

impl BlockWalk {
    pub(crate) fn new(page: u32) -> BlockWalk {
        BlockWalk {
            page,
            after: None,
            done: false,
        }
    }

    /// The next page of blocks, or `None` once every object was visited.
    pub(crate) async fn next_page(
        &mut self,
        engine: &Engine,
    ) -> Result<Option<Vec<(String, String, BlockRef)>>, Error> {
        if self.done {
            return Ok(None);
        }
        let records = engine
            .meta()
            .scan_objects(self.after.clone(), self.page)
            .await?;
        self.done = records.len() < self.page as usize;
        let Some((b, k, _)) = records.last() else {
            return Ok(None);
        };
        self.after = Some((b.clone(), k.clone()));
        let mut blocks = Vec::new();
        for (bucket, key, object) in records {
            for segment in object.segments {
                if let Segment::Block(block) = segment {
                    blocks.push((bucket.clone(), key.clone(), block));
                }
            }
        }
        Ok(Some(blocks))
    }
}

/// Runs `pass` every `interval` until `shutdown`, logging failures.
pub(crate) async fn run_every<F, Fut, T>(
    name: &'static str,
    interval: Duration,
    shutdown: Shutdown,
    mut pass: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    info!(interval_secs = interval.as_secs(), "{name} worker started");
    let stop = shutdown.wait();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = tokio::time::sleep(interval) => {}
        }
        if let Err(e) = pass().await {
            warn!(error = %e, "{name} pass failed");
        }
    }
    info!("{name} worker stopped");
}
