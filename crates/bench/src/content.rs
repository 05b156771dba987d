//! Object contents derived from a seed, so that a GET body can be verified
//! without keeping what was written: the seed and size are in the key.

use bytes::{Bytes, BytesMut};

/// A pattern block reused for every object: fast to produce, different
/// per seed at every offset.
const BLOCK: usize = 64 * 1024;

/// The bytes of an object of `size` with `seed`.
pub fn body(seed: u64, size: u64) -> Bytes {
    let mut out = BytesMut::with_capacity(size as usize);
    let block = pattern(seed, size);
    let mut left = size as usize;
    while left > 0 {
        let n = left.min(BLOCK);
        out.extend_from_slice(&block[..n]);
        left -= n;
    }
    out.freeze()
}

/// The first `min(size, BLOCK)` bytes (or a few more) of the seed's
/// pattern block: a small object needs no more.
fn pattern(seed: u64, size: u64) -> Vec<u8> {
    let len = (size as usize).min(BLOCK);
    // xorshift64*: cheap and seed-dependent.
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out
}

/// Whether `got` is the body of (`seed`, `size`).
pub fn verify(seed: u64, size: u64, got: &[u8]) -> bool {
    if got.len() as u64 != size {
        return false;
    }
    let block = pattern(seed, size);
    got.chunks(BLOCK).all(|c| c == &block[..c.len()])
}

/// The key of an object: the bench prefix, then its seed and size.
pub fn key(prefix: &str, seed: u64, size: u64) -> String {
    format!("{prefix}{seed:016x}-{size}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_verify_and_keys_round_trip() {
        let b = body(7, 200_000);
        assert!(verify(7, 200_000, &b));
        assert!(!verify(8, 200_000, &b));
        let mut bad = b.to_vec();
        bad[150_000] ^= 1;
        assert!(!verify(7, 200_000, &bad));
        assert!(!verify(7, 200_001, &b));
        assert_eq!(key("bench/", 42, 4096), "bench/000000000000002a-4096");
    }
}
