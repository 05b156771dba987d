//! Typed helpers for repair, scrub, the orphan sweep and the cluster map's
//! node states.

use crate::typed::unexpected;
use crate::{MetaClient, Result};
use tessera_types::meta::{Command, Query, QueryReply};
use tessera_types::{BlockId, BlockRef, NodeId, NodeState, OwnedBlock, ShardRef};

impl MetaClient {
    /// Records a repaired block in whatever record holds it (an object or a
    /// part of an upload in progress). `expected` are the shards the repair
    /// started from: if the stored block changed meanwhile, or no record
    /// holds it any more, the update is refused (`BlockMismatch`,
    /// `NoSuchBlock`) and nothing changes.
    pub async fn update_block(
        &self,
        block: BlockRef,
        expected: Vec<Option<ShardRef>>,
    ) -> Result<()> {
        let cmd = Command::UpdateBlock {
            block,
            expected: Some(expected),
        };
        self.command_done("UpdateBlock", cmd).await
    }

    /// The current `BlockRef` of each id, in order (`None`: no record holds
    /// the block). At most 10,000 ids per call.
    pub async fn get_blocks(&self, ids: Vec<BlockId>) -> Result<Vec<Option<BlockRef>>> {
        match self.query(Query::GetBlocks { ids }).await? {
            QueryReply::Blocks(b) => Ok(b),
            other => Err(unexpected("GetBlocks", other)),
        }
    }

    /// Blocks in id order after `after`, at most `max`, with their owners:
    /// every stored block, parts of uploads in progress included.
    pub async fn scan_blocks(&self, after: Option<BlockId>, max: u32) -> Result<Vec<OwnedBlock>> {
        match self.query(Query::ScanBlocks { after, max }).await? {
            QueryReply::OwnedBlocks(b) => Ok(b),
            other => Err(unexpected("ScanBlocks", other)),
        }
    }

    /// Blocks of the repair queue (recorded with a missing shard) in id
    /// order after `after`, at most `max`.
    pub async fn list_repair_queue(
        &self,
        after: Option<BlockId>,
        max: u32,
    ) -> Result<Vec<OwnedBlock>> {
        match self.query(Query::ListRepairQueue { after, max }).await? {
            QueryReply::OwnedBlocks(b) => Ok(b),
            other => Err(unexpected("ListRepairQueue", other)),
        }
    }

    /// How many blocks the repair queue holds.
    pub async fn repair_queue_length(&self) -> Result<u64> {
        match self.query(Query::RepairQueueLength).await? {
            QueryReply::Count(n) => Ok(n),
            other => Err(unexpected("RepairQueueLength", other)),
        }
    }

    /// Sets a storage node's state in the cluster map (`NoSuchNode`).
    pub async fn set_node_state(&self, id: NodeId, state: NodeState) -> Result<()> {
        self.command_done("SetNodeState", Command::SetNodeState { id, state })
            .await
    }
}
