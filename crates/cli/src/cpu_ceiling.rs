//! `tessera bench cpu`: what a PUT costs per byte on one core, measured on
//! this machine: MD5 (the ETag), CRC64NVME (the default checksum), the
//! Reed-Solomon encoding of each block and the blake3 hash of each shard.
//! The sum bounds a gateway's PUT throughput: its CPU ceiling.

use anyhow::Result;
use md5::Digest;
use std::time::Instant;
use tessera_erasure::Codec;
use tessera_s3_protocol::checksum::ChecksumHasher;
use tessera_types::{ChecksumAlgorithm, ErasureProfile};

/// Block size the engine encodes (its default).
const BLOCK: usize = 4 << 20;

/// MiB/s of `work` over `total` bytes (best of three rounds).
fn rate(total: usize, mut work: impl FnMut()) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        work();
        best = best.min(t.elapsed().as_secs_f64());
    }
    total as f64 / (1024.0 * 1024.0) / best.max(1e-9)
}

pub fn run(size: usize, profile: &str, json: bool) -> Result<()> {
    let (data, parity) = tessera_util::config::parse_profile(profile)?;
    let codec = Codec::new(ErasureProfile { data, parity })?;
    let buf: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
    let md5 = rate(size, || {
        let mut h = md5::Md5::new();
        h.update(&buf);
        std::hint::black_box(h.finalize());
    });
    let crc = rate(size, || {
        let mut c = ChecksumHasher::new(ChecksumAlgorithm::Crc64Nvme);
        c.update(&buf);
        std::hint::black_box(c.finalize());
    });
    let shards: Vec<Vec<bytes::Bytes>> = buf
        .chunks(BLOCK)
        .map(|b| codec.encode(b).unwrap_or_default())
        .collect();
    let rs = rate(size, || {
        for b in buf.chunks(BLOCK) {
            std::hint::black_box(codec.encode(b).ok());
        }
    });
    // blake3 runs over every shard: (k+m)/k bytes per byte written.
    let stored: usize = shards.iter().flatten().map(|s| s.len()).sum();
    let b3 = rate(size, || {
        for s in shards.iter().flatten() {
            std::hint::black_box(blake3::hash(s));
        }
    });
    let per_byte = [md5, crc, rs, b3].iter().map(|r| 1.0 / r).sum::<f64>();
    let ceiling = 1.0 / per_byte;
    if json {
        println!(
            "{}",
            serde_json::json!({
                "profile": profile, "bytes": size,
                "md5_mib_s": md5, "crc64nvme_mib_s": crc,
                "reed_solomon_mib_s": rs, "blake3_shards_mib_s": b3,
                "stored_bytes": stored,
                "one_core_ceiling_mib_s": ceiling,
            })
        );
    } else {
        println!(
            "Per-byte work of a PUT on one core, {profile}, {} MiB:",
            size >> 20
        );
        println!("  MD5 (ETag)                 {md5:>9.0} MiB/s");
        println!("  CRC64NVME (checksum)       {crc:>9.0} MiB/s");
        println!("  Reed-Solomon encode        {rs:>9.0} MiB/s");
        println!("  blake3 of every shard      {b3:>9.0} MiB/s (of object bytes)");
        println!("  all of it, one core        {ceiling:>9.0} MiB/s");
    }
    Ok(())
}
