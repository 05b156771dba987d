//! Buffers of whole pages, for blocks and shards, recycled.
//!
//! Blocks and shards are megabytes each and live for milliseconds. Taken
//! from the global allocator, freed ones stay in its free lists (glibc's
//! raises its mmap threshold past the first large buffer freed, and keeps
//! every later one in its arenas), so a burst of uploads left a process
//! hundreds of MiB larger for good. Mapping and unmapping each buffer
//! instead costs page faults and TLB flushes on every use. A [`PageBuf`] is
//! an anonymous mapping taken from a small pool of idle ones (at most
//! [`POOL_BYTES`] in all) and given back to it, or to the OS when the pool
//! is full, once its last [`Bytes`] view is dropped.

use bytes::Bytes;
use memmap2::MmapMut;
use std::collections::HashMap;
use std::io;
use std::sync::{Mutex, OnceLock};

/// Most bytes of idle buffers kept for reuse.
pub const POOL_BYTES: usize = 64 * 1024 * 1024;
/// Buffer sizes are rounded up to a multiple of this, so that buffers of
/// nearly the same size are shared.
const GRAIN: usize = 64 * 1024;

#[derive(Default)]
struct Pool {
    bytes: usize,
    idle: HashMap<usize, Vec<MmapMut>>,
}

fn pool() -> std::sync::MutexGuard<'static, Pool> {
    static POOL: OnceLock<Mutex<Pool>> = OnceLock::new();
    POOL.get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// A mapping of at least `capacity` bytes (at least one), reused if one is
/// idle: its contents are whatever was last written there.
fn take(capacity: usize) -> io::Result<MmapMut> {
    let size = capacity.max(1).div_ceil(GRAIN) * GRAIN;
    let reused = {
        let mut p = pool();
        let map = p.idle.get_mut(&size).and_then(Vec::pop);
        if map.is_some() {
            p.bytes -= size;
        }
        map
    };
    match reused {
        Some(map) => Ok(map),
        None => MmapMut::map_anon(size),
    }
}

/// Keeps `map` for reuse, or unmaps it when the pool is full.
fn give(map: MmapMut) {
    let size = map.len();
    let mut p = pool();
    if p.bytes + size <= POOL_BYTES {
        p.bytes += size;
        p.idle.entry(size).or_default().push(map);
    }
}

/// The owner of a frozen buffer's pages: gives them back when dropped.
struct Pages(Option<MmapMut>);

impl AsRef<[u8]> for Pages {
    fn as_ref(&self) -> &[u8] {
        self.0.as_deref().unwrap_or_default()
    }
}

impl Drop for Pages {
    fn drop(&mut self) {
        if let Some(map) = self.0.take() {
            give(map);
        }
    }
}

/// A fixed-capacity buffer of pages, filled from the front.
pub struct PageBuf {
    pages: Pages,
    capacity: usize,
    len: usize,
}

impl std::fmt::Debug for PageBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageBuf")
            .field("len", &self.len)
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl PageBuf {
    /// An empty buffer with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> io::Result<PageBuf> {
        Ok(PageBuf {
            pages: Pages(Some(take(capacity)?)),
            capacity,
            len: 0,
        })
    }

    /// A buffer of `len` zero bytes.
    pub fn zeroed(len: usize) -> io::Result<PageBuf> {
        let mut buf = PageBuf::reused(len)?;
        buf.as_mut_slice().fill(0);
        Ok(buf)
    }

    /// A buffer of `len` bytes holding whatever its pages last held: for a
    /// caller that overwrites all of it before anyone reads it.
    pub fn reused(len: usize) -> io::Result<PageBuf> {
        let mut buf = PageBuf::with_capacity(len)?;
        buf.len = len;
        Ok(buf)
    }

    fn map_mut(&mut self) -> &mut [u8] {
        self.pages.0.as_deref_mut().unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether no more bytes fit.
    pub fn is_full(&self) -> bool {
        self.len == self.capacity
    }

    /// Appends as much of `bytes` as fits; returns how many bytes that was.
    pub fn extend_from_slice(&mut self, bytes: &[u8]) -> usize {
        let n = bytes.len().min(self.capacity - self.len);
        let at = self.len;
        self.map_mut()[at..at + n].copy_from_slice(&bytes[..n]);
        self.len += n;
        n
    }

    /// The bytes written so far.
    pub fn as_slice(&self) -> &[u8] {
        &self.pages.as_ref()[..self.len]
    }

    /// The bytes written so far, to change in place.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        let len = self.len;
        &mut self.map_mut()[..len]
    }

    /// The written bytes as [`Bytes`]; the pages go back to the pool (or
    /// the OS) when the last view of them is dropped.
    pub fn freeze(mut self) -> Bytes {
        let len = self.len;
        let pages = Pages(self.pages.0.take());
        Bytes::from_owner(pages).slice(..len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_up_to_capacity_and_freezes() {
        let mut b = PageBuf::with_capacity(10).unwrap();
        assert!(b.is_empty());
        assert_eq!(b.extend_from_slice(b"hello"), 5);
        assert_eq!(b.extend_from_slice(b" world!"), 5);
        assert!(b.is_full());
        assert_eq!(b.extend_from_slice(b"more"), 0);
        assert_eq!(b.as_slice(), b"hello worl");
        let frozen = b.freeze();
        assert_eq!(&frozen[..], b"hello worl");
        assert_eq!(&frozen.slice(6..)[..], b"worl");
    }

    #[test]
    fn zeroed_is_zero_even_when_reused() {
        for _ in 0..3 {
            let mut b = PageBuf::zeroed(8192).unwrap();
            assert!(b.as_slice().iter().all(|&x| x == 0));
            b.as_mut_slice().fill(7);
            assert_eq!(b.freeze()[8191], 7);
        }
        assert_eq!(PageBuf::zeroed(0).unwrap().freeze().len(), 0);
        let mut empty = PageBuf::with_capacity(0).unwrap();
        assert!(empty.is_full());
        assert_eq!(empty.extend_from_slice(b"x"), 0);
    }

    #[test]
    fn the_pool_stays_within_its_bound() {
        let bufs: Vec<Bytes> = (0..8)
            .map(|_| PageBuf::zeroed(POOL_BYTES / 4).unwrap().freeze())
            .collect();
        drop(bufs);
        assert!(pool().bytes <= POOL_BYTES);
    }
}
