//! The snapshot file format: the data keyspaces as one stream, written and
//! read a record at a time, so that neither side holds the state in memory.
//!
//! ```text
//! magic "TSNAP\0\0\x01" | next_gc_seq: u64 BE
//! records: 1 | name_len: u16 BE | name          (a keyspace starts)
//!          2 | key_len: u32 BE | key | value_len: u32 BE | value
//!          0 | blake3 of every byte before this record's 32-byte hash
//! ```
//!
//! The trailing hash makes a truncated or damaged file fail to read rather
//! than install part of a state.

use crate::{Error, Result};
use std::io::{self, Read, Write};

const MAGIC: &[u8; 8] = b"TSNAP\0\0\x01";
const TAG_END: u8 = 0;
const TAG_KEYSPACE: u8 = 1;
const TAG_ENTRY: u8 = 2;
/// Larger keys or values mean a damaged file (records are far smaller).
const MAX_FIELD: u32 = 256 * 1024 * 1024;

/// Writes a snapshot stream to `W`.
pub(crate) struct SnapshotWriter<W: Write> {
    out: W,
    hasher: blake3::Hasher,
}

impl<W: Write> SnapshotWriter<W> {
    pub fn new(out: W, next_gc_seq: u64) -> io::Result<Self> {
        let mut w = SnapshotWriter {
            out,
            hasher: blake3::Hasher::new(),
        };
        w.put(MAGIC)?;
        w.put(&next_gc_seq.to_be_bytes())?;
        Ok(w)
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.hasher.update(bytes);
        self.out.write_all(bytes)
    }

    /// Starts the entries of keyspace `name`.
    pub fn keyspace(&mut self, name: &str) -> io::Result<()> {
        let len = u16::try_from(name.len()).map_err(io::Error::other)?;
        self.put(&[TAG_KEYSPACE])?;
        self.put(&len.to_be_bytes())?;
        self.put(name.as_bytes())
    }

    pub fn entry(&mut self, key: &[u8], value: &[u8]) -> io::Result<()> {
        self.put(&[TAG_ENTRY])?;
        for field in [key, value] {
            let len = u32::try_from(field.len()).map_err(io::Error::other)?;
            self.put(&len.to_be_bytes())?;
            self.put(field)?;
        }
        Ok(())
    }

    /// Ends the stream with its hash and returns the writer (not flushed).
    pub fn finish(mut self) -> io::Result<W> {
        self.put(&[TAG_END])?;
        let hash = self.hasher.finalize();
        self.out.write_all(hash.as_bytes())?;
        Ok(self.out)
    }
}

/// One record of a stream, borrowed from the reader.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Record<'a> {
    Keyspace(&'a str),
    Entry(&'a [u8], &'a [u8]),
}

/// Reads a snapshot stream from `R`, checking its hash at the end.
pub(crate) struct SnapshotReader<R: Read> {
    inp: R,
    hasher: blake3::Hasher,
    next_gc_seq: u64,
    name: String,
    key: Vec<u8>,
    value: Vec<u8>,
    done: bool,
}

fn corrupt(what: impl std::fmt::Display) -> Error {
    Error::Corrupt(format!("snapshot file: {what}"))
}

impl<R: Read> SnapshotReader<R> {
    pub fn new(inp: R) -> Result<Self> {
        let mut r = SnapshotReader {
            inp,
            hasher: blake3::Hasher::new(),
            next_gc_seq: 0,
            name: String::new(),
            key: Vec::new(),
            value: Vec::new(),
            done: false,
        };
        let mut magic = [0u8; 8];
        r.take(&mut magic)?;
        if &magic != MAGIC {
            return Err(corrupt("not a snapshot (bad magic)"));
        }
        let mut seq = [0u8; 8];
        r.take(&mut seq)?;
        r.next_gc_seq = u64::from_be_bytes(seq);
        Ok(r)
    }

    pub fn next_gc_seq(&self) -> u64 {
        self.next_gc_seq
    }

    fn take(&mut self, buf: &mut [u8]) -> Result<()> {
        read_hashed(&mut self.inp, &mut self.hasher, buf)
    }

    /// The next record; `None` once the end record was read and the hash
    /// matched.
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>> {
        if self.done {
            return Ok(None);
        }
        let mut tag = [0u8; 1];
        self.take(&mut tag)?;
        match tag[0] {
            TAG_KEYSPACE => {
                let mut len = [0u8; 2];
                self.take(&mut len)?;
                let mut name = vec![0u8; usize::from(u16::from_be_bytes(len))];
                self.take(&mut name)?;
                self.name = String::from_utf8(name).map_err(|_| corrupt("keyspace name"))?;
                Ok(Some(Record::Keyspace(&self.name)))
            }
            TAG_ENTRY => {
                read_field(&mut self.inp, &mut self.hasher, &mut self.key)?;
                read_field(&mut self.inp, &mut self.hasher, &mut self.value)?;
                Ok(Some(Record::Entry(&self.key, &self.value)))
            }
            TAG_END => {
                let expected = self.hasher.finalize();
                let mut hash = [0u8; 32];
                read_exact(&mut self.inp, &mut hash)?;
                if expected.as_bytes() != &hash {
                    return Err(corrupt("checksum mismatch"));
                }
                self.done = true;
                Ok(None)
            }
            t => Err(corrupt(format!("unknown record type {t}"))),
        }
    }

    /// Reads the rest of the stream, checking it.
    pub fn verify(mut self) -> Result<()> {
        while self.next_record()?.is_some() {}
        Ok(())
    }
}

/// Fills `buf`: a stream that ends first is a truncated snapshot.
fn read_exact<R: Read>(inp: &mut R, buf: &mut [u8]) -> Result<()> {
    inp.read_exact(buf).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => corrupt("truncated"),
        _ => Error::Io(e),
    })
}

/// Fills `buf` and adds it to the stream's hash.
fn read_hashed<R: Read>(inp: &mut R, hasher: &mut blake3::Hasher, buf: &mut [u8]) -> Result<()> {
    read_exact(inp, buf)?;
    hasher.update(buf);
    Ok(())
}

/// Reads a length-prefixed key or value into `buf` (reused across records).
fn read_field<R: Read>(inp: &mut R, hasher: &mut blake3::Hasher, buf: &mut Vec<u8>) -> Result<()> {
    let mut len = [0u8; 4];
    read_hashed(inp, hasher, &mut len)?;
    let len = u32::from_be_bytes(len);
    if len > MAX_FIELD {
        return Err(corrupt(format!("record of {len} bytes")));
    }
    buf.resize(len as usize, 0);
    read_hashed(inp, hasher, buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut w = SnapshotWriter::new(Vec::new(), 42).unwrap();
        w.keyspace("objects").unwrap();
        w.entry(b"b\0k", b"record").unwrap();
        w.entry(b"b\0empty", b"").unwrap();
        w.keyspace("gc").unwrap();
        w.finish().unwrap()
    }

    #[test]
    fn round_trip() {
        let data = sample();
        let mut r = SnapshotReader::new(&data[..]).unwrap();
        assert_eq!(r.next_gc_seq(), 42);
        assert_eq!(r.next_record().unwrap(), Some(Record::Keyspace("objects")));
        assert_eq!(
            r.next_record().unwrap(),
            Some(Record::Entry(b"b\0k", b"record"))
        );
        assert_eq!(
            r.next_record().unwrap(),
            Some(Record::Entry(b"b\0empty", b""))
        );
        assert_eq!(r.next_record().unwrap(), Some(Record::Keyspace("gc")));
        assert_eq!(r.next_record().unwrap(), None);
        assert_eq!(r.next_record().unwrap(), None);
    }

    #[test]
    fn damage_and_truncation_are_detected() {
        let data = sample();
        for cut in [0, 5, 20, data.len() - 1] {
            let res = SnapshotReader::new(&data[..cut]).and_then(|r| r.verify());
            assert!(matches!(res, Err(Error::Corrupt(_))), "cut at {cut}");
        }
        for at in [20, data.len() - 40, data.len() - 3] {
            let mut bad = data.clone();
            bad[at] ^= 0x40;
            let res = SnapshotReader::new(&bad[..]).and_then(|r| r.verify());
            assert!(res.is_err(), "flip at {at}");
        }
    }
}
