//! The block index: which record holds each erasure-coded block.

use crate::BlockRef;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The record that holds a block: an object version, or a part of a
/// multipart upload still in progress. Every stored block has exactly one
/// owner (copies re-encode their data into new blocks).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum BlockOwner {
    Object {
        bucket: String,
        key: String,
    },
    Part {
        bucket: String,
        key: String,
        upload_id: String,
        number: u32,
    },
}

impl fmt::Display for BlockOwner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlockOwner::Object { bucket, key } => write!(f, "{bucket}/{key}"),
            BlockOwner::Part {
                bucket,
                key,
                upload_id,
                number,
            } => write!(f, "{bucket}/{key} upload {upload_id} part {number}"),
        }
    }
}

/// A block as currently recorded, with its owner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnedBlock {
    pub owner: BlockOwner,
    pub block: BlockRef,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_display_their_record() {
        let o = BlockOwner::Object {
            bucket: "b".into(),
            key: "k/1".into(),
        };
        assert_eq!(o.to_string(), "b/k/1");
        let p = BlockOwner::Part {
            bucket: "b".into(),
            key: "k".into(),
            upload_id: "u".into(),
            number: 3,
        };
        assert_eq!(p.to_string(), "b/k upload u part 3");
    }
}
