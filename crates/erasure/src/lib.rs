//! Erasure coding, shard hashing and shard placement for Tessera.
//!
//! This crate is pure computation (no I/O):
//! - [`Codec`] splits a block into `data` equal data shards (the last one
//!   zero-padded) plus `parity` Reed-Solomon parity shards over GF(2^8), and
//!   rebuilds a block or its missing shards from any `data` of them.
//! - [`shard_hash`] is the blake3 hash stored with, and verified on, every
//!   shard.
//! - [`placement::place`] chooses, deterministically, the storage nodes that
//!   hold a block's shards.
//! - [`PageBuf`] holds blocks and shards in pages of their own, returned to
//!   the OS when they are dropped.

mod codec;
mod error;
mod pages;
pub mod placement;

pub use codec::{join, Codec};
pub use error::{Error, Result};
pub use pages::PageBuf;

/// The blake3 hash of a shard's bytes, as stored in [`tessera_types::ShardRef`].
pub fn shard_hash(data: &[u8]) -> [u8; 32] {
    *blake3::hash(data).as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_hash_is_blake3() {
        // Known-answer: blake3("") from the reference implementation.
        let empty = shard_hash(b"");
        assert_eq!(
            empty[..4],
            [0xaf, 0x13, 0x49, 0xb9],
            "blake3 of the empty input starts with af1349b9"
        );
        assert_ne!(shard_hash(b"a"), shard_hash(b"b"));
    }
}
