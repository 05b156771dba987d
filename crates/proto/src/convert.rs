//! Conversions between generated messages and `tessera-types`.

use crate::storage::v1::ShardKey;
use tessera_types::{BlockId, ShardId};

impl From<ShardId> for ShardKey {
    fn from(id: ShardId) -> Self {
        ShardKey {
            block_id: bytes::Bytes::copy_from_slice(&id.block.0),
            index: id.index as u32,
        }
    }
}

impl TryFrom<&ShardKey> for ShardId {
    type Error = String;
    fn try_from(k: &ShardKey) -> Result<Self, Self::Error> {
        let block: [u8; 16] = k
            .block_id
            .as_ref()
            .try_into()
            .map_err(|_| format!("block id must be 16 bytes, got {}", k.block_id.len()))?;
        let index =
            u8::try_from(k.index).map_err(|_| format!("shard index {} out of range", k.index))?;
        Ok(ShardId {
            block: BlockId(block),
            index,
        })
    }
}
