//! Buffers of whole pages straight from the OS, for blocks and shards.
//!
//! Blocks and shards are megabytes each and live for milliseconds. Taken
//! from the global allocator, freed ones stay in its free lists (glibc's
//! raises its mmap threshold past the first large buffer freed, and keeps
//! every later one in its arenas), so a burst of uploads left a process
//! hundreds of MiB larger for good. A [`PageBuf`] is an anonymous mapping of
//! its own, handed back to the OS as soon as its last [`Bytes`] view is
//! dropped.

use bytes::Bytes;
use memmap2::MmapMut;
use std::io;

/// A fixed-capacity buffer of zeroed pages, filled from the front.
pub struct PageBuf {
    /// At least one byte long (an empty mapping is refused), so possibly
    /// longer than `capacity`.
    map: MmapMut,
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
    /// An empty buffer with room for `capacity` bytes. Pages are only
    /// allocated as they are written.
    pub fn with_capacity(capacity: usize) -> io::Result<PageBuf> {
        Ok(PageBuf {
            map: MmapMut::map_anon(capacity.max(1))?,
            capacity,
            len: 0,
        })
    }

    /// A buffer of `len` zero bytes.
    pub fn zeroed(len: usize) -> io::Result<PageBuf> {
        let mut buf = PageBuf::with_capacity(len)?;
        buf.len = len;
        Ok(buf)
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
        self.map[self.len..self.len + n].copy_from_slice(&bytes[..n]);
        self.len += n;
        n
    }

    /// The bytes written so far.
    pub fn as_slice(&self) -> &[u8] {
        &self.map[..self.len]
    }

    /// The bytes written so far, to change in place.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.map[..self.len]
    }

    /// The written bytes as [`Bytes`]; the pages go back to the OS when the
    /// last view of them is dropped.
    pub fn freeze(self) -> Bytes {
        let len = self.len;
        Bytes::from_owner(self.map).slice(..len)
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
    fn zeroed_is_zero_and_writable() {
        let mut b = PageBuf::zeroed(8192).unwrap();
        assert!(b.as_slice().iter().all(|&x| x == 0));
        b.as_mut_slice()[8191] = 7;
        assert_eq!(b.freeze()[8191], 7);
        assert_eq!(PageBuf::zeroed(0).unwrap().freeze().len(), 0);
        let mut empty = PageBuf::with_capacity(0).unwrap();
        assert!(empty.is_full());
        assert_eq!(empty.extend_from_slice(b"x"), 0);
    }
}
