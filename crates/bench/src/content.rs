//! Object contents derived from a seed, so that a GET body can be verified
//! without keeping what was written: the seed and size are in the key.
//!
//! A request body is sent one of two ways, as applications send them: from
//! memory (the SDK signs the payload's SHA-256), or, above a size, streamed
//! as the SDK streams a file (`ByteStream::from_path`: `UNSIGNED-PAYLOAD`),
//! from one shared pattern buffer, so that 16 clients uploading 1 GiB each
//! do not hold 16 GiB.

use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_types::body::SdkBody;
use bytes::{Bytes, BytesMut};
use http_body::{Body, Frame, SizeHint};
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A pattern block reused for every object: fast to produce, different
/// per seed at every offset.
const BLOCK: usize = 64 * 1024;

/// Frames of a streamed body: this many pattern blocks at a time.
const STREAM_FRAME: usize = 16 * BLOCK;

/// The request body of bytes `start..start + len` of the object (`seed`,
/// `size`): from memory up to `stream_above` bytes, streamed beyond.
pub fn request_body(seed: u64, size: u64, start: u64, len: u64, stream_above: u64) -> ByteStream {
    let block = pattern(seed, size);
    let offset = (start % block.len().max(1) as u64) as usize;
    if len <= stream_above {
        return ByteStream::from(repeat(&block, offset, len as usize));
    }
    let frame = repeat(&block, 0, STREAM_FRAME);
    let period = block.len();
    ByteStream::new(SdkBody::retryable(move || {
        SdkBody::from_body_1_x(Pattern {
            frame: frame.clone(),
            period,
            pos: offset,
            left: len,
        })
    }))
}

/// `len` bytes of the periodic `block`, starting at `offset` in it.
fn repeat(block: &[u8], mut offset: usize, len: usize) -> Bytes {
    let mut out = BytesMut::with_capacity(len);
    while out.len() < len {
        let n = (len - out.len()).min(block.len() - offset);
        out.extend_from_slice(&block[offset..offset + n]);
        offset = 0;
    }
    out.freeze()
}

/// A streamed body: `left` more bytes of a pattern with period `period`,
/// handed out as slices of one shared frame.
struct Pattern {
    frame: Bytes,
    period: usize,
    /// Where the next byte is in the pattern (`< period`).
    pos: usize,
    left: u64,
}

impl Body for Pattern {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.left == 0 {
            return Poll::Ready(None);
        }
        let n = (self.frame.len() - self.pos).min(self.left as usize);
        let chunk = self.frame.slice(self.pos..self.pos + n);
        self.pos = (self.pos + n) % self.period;
        self.left -= n as u64;
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.left == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.left)
    }
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

    async fn collect(b: ByteStream) -> Vec<u8> {
        b.collect().await.unwrap().into_bytes().to_vec()
    }

    #[tokio::test]
    async fn streamed_and_memory_bodies_are_the_same_bytes() {
        let size = 3 * STREAM_FRAME as u64 + 12_345;
        let whole = collect(request_body(9, size, 0, size, u64::MAX)).await;
        assert!(verify(9, size, &whole));
        let streamed = request_body(9, size, 0, size, 0);
        assert!(
            streamed.bytes().is_none(),
            "a streamed body is not in memory"
        );
        assert_eq!(streamed.size_hint().1, Some(size));
        assert_eq!(collect(streamed).await, whole);
        // A part starting mid-pattern, both ways.
        let (start, len) = (5 * BLOCK as u64 + 777, 2 * STREAM_FRAME as u64 + 3);
        let want = &whole[start as usize..(start + len) as usize];
        assert_eq!(collect(request_body(9, size, start, len, 0)).await, want);
        assert_eq!(
            collect(request_body(9, size, start, len, u64::MAX)).await,
            want
        );
    }

    #[tokio::test]
    async fn bodies_verify_and_keys_round_trip() {
        let b = collect(request_body(7, 200_000, 0, 200_000, u64::MAX)).await;
        assert!(verify(7, 200_000, &b));
        assert!(!verify(8, 200_000, &b));
        let mut bad = b.clone();
        bad[150_000] ^= 1;
        assert!(!verify(7, 200_000, &bad));
        assert!(!verify(7, 200_001, &b));
        assert_eq!(key("bench/", 42, 4096), "bench/000000000000002a-4096");
    }
}
