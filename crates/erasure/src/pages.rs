//! Buffers of whole pages, for blocks and shards, recycled.
//!
//! Blocks and shards are megabytes each and live for milliseconds. Taken
//! from the global allocator, freed ones stay in its free lists (glibc's
//! raises its mmap threshold past the first large buffer freed, and keeps
//! every later one in its arenas), so a burst of uploads left a process
//! hundreds of MiB larger for good. Mapping and unmapping each buffer
//! instead costs page faults and TLB flushes on every use. A [`PageBuf`] is
//! an anonymous mapping taken from a small pool of idle ones (at most
//! [`POOL_BYTES`] in all) and given back to it once its last [`Bytes`] view
//! is dropped. A full pool makes room by unmapping its least recently
//! returned buffers, so the sizes in use now (a GET's shard reads after a
//! run of uploads, say) displace those of the work before; and buffers idle
//! for [`POOL_IDLE`] are unmapped, so a process at rest holds none.

use bytes::Bytes;
use memmap2::MmapMut;
use std::collections::{BTreeMap, VecDeque};
use std::io;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Most bytes of idle buffers kept for reuse.
pub const POOL_BYTES: usize = 96 * 1024 * 1024;
/// An idle buffer unused for this long goes back to the OS, so that a
/// process at rest does not hold the pool.
pub const POOL_IDLE: Duration = Duration::from_secs(3);
/// Buffer sizes are rounded up to a multiple of this, so that buffers of
/// nearly the same size are shared.
const GRAIN: usize = 64 * 1024;

/// Idle mappings by size, each list oldest first.
#[derive(Default)]
struct Pool {
    bytes: usize,
    idle: BTreeMap<usize, VecDeque<(Instant, MmapMut)>>,
}

impl Pool {
    /// Removes the least recently returned mapping.
    fn pop_oldest(&mut self) -> Option<MmapMut> {
        let size = *self
            .idle
            .iter()
            .filter_map(|(size, list)| list.front().map(|(since, _)| (since, size)))
            .min()?
            .1;
        let list = self.idle.get_mut(&size)?;
        let (_, map) = list.pop_front()?;
        if list.is_empty() {
            self.idle.remove(&size);
        }
        self.bytes -= map.len();
        Some(map)
    }

    /// Removes the mappings idle since before `cutoff`.
    fn expire(&mut self, cutoff: Instant) -> Vec<MmapMut> {
        let mut gone = Vec::new();
        for list in self.idle.values_mut() {
            while list.front().is_some_and(|(since, _)| *since < cutoff) {
                if let Some((_, map)) = list.pop_front() {
                    self.bytes -= map.len();
                    gone.push(map);
                }
            }
        }
        self.idle.retain(|_, list| !list.is_empty());
        gone
    }
}

fn pool() -> std::sync::MutexGuard<'static, Pool> {
    static POOL: OnceLock<Mutex<Pool>> = OnceLock::new();
    let pool = POOL.get_or_init(|| {
        // Unused buffers are unmapped by a thread of their own: a process
        // that stops taking buffers gives them back all the same.
        let _ = std::thread::Builder::new()
            .name("page-pool".into())
            .spawn(|| loop {
                std::thread::sleep(POOL_IDLE / 2);
                let gone = match Instant::now().checked_sub(POOL_IDLE) {
                    Some(cutoff) => pool().expire(cutoff),
                    None => Vec::new(),
                };
                drop(gone); // unmapped outside the lock
            });
        Mutex::default()
    });
    pool.lock().unwrap_or_else(|p| p.into_inner())
}

/// A mapping of at least `capacity` bytes (at least one), reused if one is
/// idle (the most recently returned of the smallest idle size that fits,
/// up to twice the size needed): its contents are whatever was last
/// written there.
fn take(capacity: usize) -> io::Result<MmapMut> {
    let size = capacity.max(1).div_ceil(GRAIN) * GRAIN;
    let reused = {
        let mut p = pool();
        let found = p
            .idle
            .range_mut(size..=size.saturating_mul(2))
            .find_map(|(&len, list)| list.pop_back().map(|(_, map)| (len, map)));
        if let Some((len, _)) = &found {
            p.bytes -= len;
            if p.idle.get(len).is_some_and(VecDeque::is_empty) {
                p.idle.remove(len);
            }
        }
        found.map(|(_, map)| map)
    };
    match reused {
        Some(map) => Ok(map),
        None => MmapMut::map_anon(size),
    }
}

/// Keeps `map` for reuse, making room by unmapping the least recently
/// returned ones; a mapping larger than the whole pool is unmapped.
fn give(map: MmapMut) {
    let size = map.len();
    if size > POOL_BYTES {
        return;
    }
    let mut gone = Vec::new();
    {
        let mut p = pool();
        while p.bytes + size > POOL_BYTES {
            match p.pop_oldest() {
                Some(old) => gone.push(old),
                None => break,
            }
        }
        p.bytes += size;
        p.idle
            .entry(size)
            .or_default()
            .push_back((Instant::now(), map));
    }
    drop(gone); // unmapped outside the lock
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

    /// Tests that look at the process-wide pool take turns.
    fn serial() -> std::sync::MutexGuard<'static, ()> {
        static SERIAL: Mutex<()> = Mutex::new(());
        SERIAL.lock().unwrap_or_else(|p| p.into_inner())
    }

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
        let _turn = serial();
        let bufs: Vec<Bytes> = (0..8)
            .map(|_| PageBuf::zeroed(POOL_BYTES / 4).unwrap().freeze())
            .collect();
        drop(bufs);
        assert!(pool().bytes <= POOL_BYTES);
    }

    /// A full pool keeps the buffer just returned and lets the oldest go;
    /// idle buffers expire.
    #[test]
    fn the_pool_keeps_the_most_recent_and_expires_the_idle() {
        let mut p = Pool::default();
        let t0 = Instant::now();
        for (i, len) in [GRAIN, 2 * GRAIN, GRAIN].into_iter().enumerate() {
            let map = MmapMut::map_anon(len).unwrap();
            p.bytes += len;
            p.idle
                .entry(len)
                .or_default()
                .push_back((t0 + Duration::from_millis(i as u64), map));
        }
        assert_eq!(p.pop_oldest().unwrap().len(), GRAIN);
        assert_eq!(p.pop_oldest().unwrap().len(), 2 * GRAIN);
        assert_eq!(p.bytes, GRAIN);
        assert!(p.expire(t0).is_empty());
        assert_eq!(p.expire(t0 + Duration::from_secs(1)).len(), 1);
        assert_eq!((p.bytes, p.idle.len()), (0, 0));
        assert!(p.pop_oldest().is_none());
    }

    /// A request is served by an idle buffer up to twice its size.
    #[test]
    fn a_larger_idle_buffer_serves_a_smaller_request() {
        let _turn = serial();
        let size = 40 * GRAIN + 1;
        let addr = |b: &Bytes| b.as_ptr() as usize;
        let first = PageBuf::zeroed(size).unwrap().freeze();
        let at = addr(&first);
        drop(first);
        let again = PageBuf::zeroed(size - 2 * GRAIN).unwrap().freeze();
        assert_eq!(addr(&again), at, "the idle buffer was not reused");
        assert!(again.iter().all(|&x| x == 0));
    }
}
