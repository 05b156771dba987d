//! Any-k-of-n recovery of the Reed-Solomon codec.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use tessera_erasure::{Codec, Error};
use tessera_types::ErasureProfile;

const PROFILES: [(u8, u8); 4] = [(2, 1), (4, 2), (3, 0), (6, 3)];
const SIZES: [usize; 5] = [0, 1, 7, 4096, (1 << 20) + 3];

fn profile(data: u8, parity: u8) -> ErasureProfile {
    ErasureProfile { data, parity }
}

/// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
fn block(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Every subset of `0..n` with at most `max` elements.
fn subsets(n: usize, max: usize) -> Vec<Vec<usize>> {
    (0u32..(1 << n))
        .filter(|m| m.count_ones() as usize <= max)
        .map(|m| (0..n).filter(|i| m & (1 << i) != 0).collect())
        .collect()
}

fn erase(shards: &[Bytes], missing: &[usize]) -> Vec<Option<Bytes>> {
    shards
        .iter()
        .enumerate()
        .map(|(i, s)| (!missing.contains(&i)).then(|| s.clone()))
        .collect()
}

#[test]
fn encode_shapes_and_systematic_layout() {
    for (d, p) in PROFILES {
        let codec = Codec::new(profile(d, p)).unwrap();
        for size in SIZES {
            let data = block(size, size as u64);
            let shards = codec.encode(&data).unwrap();
            let len = codec.shard_len(size);
            assert_eq!(len, size.div_ceil(d as usize).max(1));
            assert_eq!(shards.len(), (d + p) as usize);
            assert!(shards.iter().all(|s| s.len() == len));
            // Data shards are the block itself, zero-padded.
            let mut joined: Vec<u8> = shards[..d as usize]
                .iter()
                .flat_map(|s| s.to_vec())
                .collect();
            assert!(joined[size..].iter().all(|&b| b == 0), "padding is zeros");
            joined.truncate(size);
            assert_eq!(joined, data);
        }
    }
}

#[test]
fn every_erasure_of_up_to_parity_shards_recovers_the_block() {
    for (d, p) in PROFILES {
        let codec = Codec::new(profile(d, p)).unwrap();
        let total = (d + p) as usize;
        for size in SIZES {
            let data = block(size, 7 + size as u64);
            let shards = codec.encode(&data).unwrap();
            for missing in subsets(total, p as usize) {
                let got = codec.decode(erase(&shards, &missing), size).unwrap();
                assert_eq!(got.len(), size, "{d}+{p} size {size} missing {missing:?}");
                assert!(
                    got == data,
                    "{d}+{p} size {size} missing {missing:?}: wrong bytes"
                );

                let mut partial = erase(&shards, &missing);
                codec.reconstruct_all(&mut partial).unwrap();
                let rebuilt: Vec<Bytes> = partial.into_iter().map(Option::unwrap).collect();
                assert!(
                    rebuilt == shards,
                    "{d}+{p} size {size} missing {missing:?}: shards differ"
                );
            }
        }
    }
}

#[test]
fn too_many_missing_shards_is_an_error() {
    for (d, p) in PROFILES {
        let codec = Codec::new(profile(d, p)).unwrap();
        let shards = codec.encode(&block(1000, 3)).unwrap();
        let total = (d + p) as usize;
        for missing in subsets(total, p as usize + 1) {
            if missing.len() != p as usize + 1 {
                continue;
            }
            let err = codec.decode(erase(&shards, &missing), 1000).unwrap_err();
            assert!(matches!(err, Error::TooFewShards { .. }), "{err}");
            let mut partial = erase(&shards, &missing);
            let err = codec.reconstruct_all(&mut partial).unwrap_err();
            assert!(matches!(err, Error::TooFewShards { .. }), "{err}");
            assert_eq!(
                partial.iter().filter(|s| s.is_none()).count(),
                missing.len()
            );
        }
    }
}

#[test]
fn decode_fast_path_does_not_touch_parity() {
    let codec = Codec::new(profile(4, 2)).unwrap();
    let data = block(4096, 11);
    let mut shards: Vec<Option<Bytes>> =
        codec.encode(&data).unwrap().into_iter().map(Some).collect();
    // Garbage parity of the right length: ignored when all data shards are present.
    shards[4] = Some(Bytes::from(vec![0xAA; 1024]));
    shards[5] = None;
    assert_eq!(codec.decode(shards, 4096).unwrap(), data);
}

#[test]
fn inconsistent_input_is_rejected() {
    let codec = Codec::new(profile(4, 2)).unwrap();
    let shards = codec.encode(&block(4096, 5)).unwrap();
    let mut wrong_len = erase(&shards, &[0]);
    wrong_len[1] = Some(Bytes::from_static(b"short"));
    assert!(matches!(
        codec.decode(wrong_len.clone(), 4096),
        Err(Error::ShardLength { index: 1, .. })
    ));
    assert!(matches!(
        codec.reconstruct_all(&mut wrong_len),
        Err(Error::ShardLength { .. })
    ));
    // Block size that does not match the shard length.
    assert!(matches!(
        codec.decode(erase(&shards, &[]), 10_000),
        Err(Error::ShardLength { .. })
    ));
    // Wrong number of shards.
    let five = erase(&shards[..5], &[]);
    assert!(matches!(
        codec.decode(five, 4096),
        Err(Error::ShardCount {
            expected: 6,
            got: 5
        })
    ));
}

#[test]
fn profile_validation() {
    assert!(Codec::new(profile(0, 2)).is_err());
    assert!(Codec::new(profile(200, 56)).is_err());
    assert!(Codec::new(profile(200, 55)).is_ok());
    assert!(Codec::new(profile(1, 0)).is_ok());
    let codec = Codec::new(profile(6, 3)).unwrap();
    assert_eq!(codec.profile(), profile(6, 3));
    assert_eq!(codec.shard_len(0), 1);
    assert_eq!(codec.shard_len(6), 1);
    assert_eq!(codec.shard_len(7), 2);
}
