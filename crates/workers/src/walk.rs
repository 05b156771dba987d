//! What the repair and scrub workers share: a paged walk over every stored
//! block, and the loop that runs a pass on a schedule.

use std::future::Future;
use std::time::Duration;
use tessera_engine::{Engine, Error, MetaClientError};
use tessera_types::meta::MetaError;
use tessera_types::{BlockId, BlockRef, OwnedBlock};
use tessera_util::shutdown::Shutdown;
use tracing::{debug, info, warn};

/// A paged walk over every stored block (of objects and of parts of
/// uploads in progress), in block id order, through the block index.
pub(crate) struct BlockWalk {
    page: u32,
    after: Option<BlockId>,
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

    /// The next page of blocks, or `None` once every block was visited.
    pub(crate) async fn next_page(
        &mut self,
        engine: &Engine,
    ) -> Result<Option<Vec<OwnedBlock>>, Error> {
        if self.done {
            return Ok(None);
        }
        let blocks = engine.meta().scan_blocks(self.after, self.page).await?;
        self.done = blocks.len() < self.page as usize;
        let Some(last) = blocks.last() else {
            return Ok(None);
        };
        self.after = Some(last.block.id);
        Ok(Some(blocks))
    }
}

/// Records a rebuilt block in meta. `Ok(false)` when meta refused it
/// because the block was freed or changed since `read` was taken (its new
/// shards are left to the orphan sweep).
pub(crate) async fn record_repair(
    engine: &Engine,
    read: &BlockRef,
    repaired: BlockRef,
) -> Result<bool, Error> {
    match engine
        .meta()
        .update_block(repaired, read.shards.clone())
        .await
    {
        Ok(()) => Ok(true),
        Err(MetaClientError::Meta(e @ (MetaError::NoSuchBlock | MetaError::BlockMismatch(_)))) => {
            debug!(block = %read.id, reason = %e, "repair not recorded: the block changed meanwhile");
            Ok(false)
        }
        Err(e) => Err(e.into()),
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
