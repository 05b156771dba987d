//! Identifiers of nodes, blocks and shards.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A storage or meta node's identity, stable across restarts.
pub type NodeId = u64;

/// A block of an object's data: the unit that is erasure-coded into shards.
/// Random (UUID v4) so that gateways can name blocks without coordination.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BlockId(#[serde(with = "serde_bytes")] pub [u8; 16]);

impl BlockId {
    pub fn random() -> Self {
        BlockId(*uuid::Uuid::new_v4().as_bytes())
    }
    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(32);
        for b in self.0 {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }
    pub fn from_hex(s: &str) -> Option<Self> {
        if s.len() != 32 || !s.is_ascii() {
            return None;
        }
        let mut out = [0u8; 16];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(BlockId(out))
    }
}

impl fmt::Debug for BlockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlockId({})", self.to_hex())
    }
}

impl fmt::Display for BlockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// One shard of a block: `index` < k are data shards, the rest parity.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Debug)]
pub struct ShardId {
    pub block: BlockId,
    pub index: u8,
}

impl fmt::Display for ShardId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.block, self.index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn block_id_hex_round_trip() {
        let id = BlockId::random();
        assert_eq!(BlockId::from_hex(&id.to_hex()), Some(id));
        assert_eq!(BlockId::from_hex("zz"), None);
    }
}
