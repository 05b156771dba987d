//! The additional checksums of S3 (`x-amz-checksum-*`): CRC32 (ISO-HDLC),
//! CRC32C, CRC64NVME, SHA1 and SHA256, the composite checksum of a
//! multipart upload and the full-object CRC combined from part CRCs.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use crc_fast::{CrcAlgorithm, Digest as CrcDigest};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use tessera_types::ChecksumAlgorithm;

use crate::error::{S3Error, S3ErrorCode};

/// An incremental hasher for one [`ChecksumAlgorithm`].
#[derive(Clone, Debug)]
pub struct ChecksumHasher(Inner);

#[derive(Clone, Debug)]
enum Inner {
    Crc32(CrcDigest),
    Crc32c(CrcDigest),
    Crc64Nvme(CrcDigest),
    Sha1(Sha1),
    Sha256(Sha256),
}

fn crc_algorithm(alg: ChecksumAlgorithm) -> Option<CrcAlgorithm> {
    match alg {
        ChecksumAlgorithm::Crc32 => Some(CrcAlgorithm::Crc32IsoHdlc),
        ChecksumAlgorithm::Crc32c => Some(CrcAlgorithm::Crc32Iscsi),
        ChecksumAlgorithm::Crc64Nvme => Some(CrcAlgorithm::Crc64Nvme),
        ChecksumAlgorithm::Sha1 | ChecksumAlgorithm::Sha256 => None,
    }
}

/// The length in bytes of a raw checksum of `alg`.
pub fn checksum_len(alg: ChecksumAlgorithm) -> usize {
    match alg {
        ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32c => 4,
        ChecksumAlgorithm::Crc64Nvme => 8,
        ChecksumAlgorithm::Sha1 => 20,
        ChecksumAlgorithm::Sha256 => 32,
    }
}

/// The raw big-endian bytes of a CRC value of `alg`'s width.
fn crc_bytes(alg: ChecksumAlgorithm, value: u64) -> Vec<u8> {
    if alg == ChecksumAlgorithm::Crc64Nvme {
        value.to_be_bytes().to_vec()
    } else {
        (value as u32).to_be_bytes().to_vec()
    }
}

impl ChecksumHasher {
    /// A fresh hasher.
    pub fn new(alg: ChecksumAlgorithm) -> Self {
        ChecksumHasher(match alg {
            ChecksumAlgorithm::Crc32 => Inner::Crc32(CrcDigest::new(CrcAlgorithm::Crc32IsoHdlc)),
            ChecksumAlgorithm::Crc32c => Inner::Crc32c(CrcDigest::new(CrcAlgorithm::Crc32Iscsi)),
            ChecksumAlgorithm::Crc64Nvme => {
                Inner::Crc64Nvme(CrcDigest::new(CrcAlgorithm::Crc64Nvme))
            }
            ChecksumAlgorithm::Sha1 => Inner::Sha1(Sha1::new()),
            ChecksumAlgorithm::Sha256 => Inner::Sha256(Sha256::new()),
        })
    }

    /// The algorithm of this hasher.
    pub fn algorithm(&self) -> ChecksumAlgorithm {
        match self.0 {
            Inner::Crc32(_) => ChecksumAlgorithm::Crc32,
            Inner::Crc32c(_) => ChecksumAlgorithm::Crc32c,
            Inner::Crc64Nvme(_) => ChecksumAlgorithm::Crc64Nvme,
            Inner::Sha1(_) => ChecksumAlgorithm::Sha1,
            Inner::Sha256(_) => ChecksumAlgorithm::Sha256,
        }
    }

    /// Hashes more data.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.0 {
            Inner::Crc32(d) | Inner::Crc32c(d) | Inner::Crc64Nvme(d) => d.update(data),
            Inner::Sha1(h) => h.update(data),
            Inner::Sha256(h) => h.update(data),
        }
    }

    /// The raw big-endian checksum: 4 bytes for CRC32/CRC32C, 8 for
    /// CRC64NVME, 20 for SHA1, 32 for SHA256.
    pub fn finalize(self) -> Vec<u8> {
        let alg = self.algorithm();
        match self.0 {
            Inner::Crc32(d) | Inner::Crc32c(d) | Inner::Crc64Nvme(d) => {
                crc_bytes(alg, d.finalize())
            }
            Inner::Sha1(h) => h.finalize().to_vec(),
            Inner::Sha256(h) => h.finalize().to_vec(),
        }
    }

    /// The checksum, base64 encoded as in `x-amz-checksum-*` headers.
    pub fn finalize_base64(self) -> String {
        STANDARD.encode(self.finalize())
    }
}

fn invalid_value(alg: ChecksumAlgorithm) -> S3Error {
    S3Error::with_message(
        S3ErrorCode::InvalidRequest,
        format!("Value for {} header is invalid.", alg.header_name()),
    )
}

/// Decodes a base64 checksum of `alg` into its raw bytes, checking its length.
pub fn decode_checksum(alg: ChecksumAlgorithm, b64: &str) -> Result<Vec<u8>, S3Error> {
    let raw = STANDARD
        .decode(b64.trim())
        .map_err(|_| invalid_value(alg))?;
    if raw.len() != checksum_len(alg) {
        return Err(invalid_value(alg));
    }
    Ok(raw)
}

/// Validates the shape of a client-sent base64 checksum value for `alg`
/// (`InvalidRequest` "Value for x-amz-checksum-crc32 header is invalid.").
pub fn validate_checksum_value(alg: ChecksumAlgorithm, b64: &str) -> Result<(), S3Error> {
    decode_checksum(alg, b64).map(|_| ())
}

/// S3's composite (multipart) checksum: the checksum of the concatenated raw
/// part checksums, base64, with a `-N` suffix (N parts).
pub fn composite_checksum(
    alg: ChecksumAlgorithm,
    part_checksums_base64: &[&str],
) -> Result<String, S3Error> {
    if part_checksums_base64.is_empty() {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidRequest,
            "A composite checksum needs at least one part.",
        ));
    }
    let mut hasher = ChecksumHasher::new(alg);
    for part in part_checksums_base64 {
        hasher.update(&decode_checksum(alg, part)?);
    }
    Ok(format!(
        "{}-{}",
        hasher.finalize_base64(),
        part_checksums_base64.len()
    ))
}

/// The full-object CRC of a multipart object from its parts' CRCs (base64)
/// and lengths, in part order, base64. `None` for SHA1/SHA256, which cannot
/// be combined.
pub fn combine_full_object_crc(
    alg: ChecksumAlgorithm,
    parts: &[(&str, u64)],
) -> Result<Option<String>, S3Error> {
    let Some(crc_alg) = crc_algorithm(alg) else {
        return Ok(None);
    };
    let mut acc = CrcDigest::new(crc_alg).finalize();
    for (b64, len) in parts {
        let raw = decode_checksum(alg, b64)?;
        let value = raw.iter().fold(0u64, |v, b| (v << 8) | u64::from(*b));
        acc = if *len == 0 {
            acc
        } else {
            crc_fast::checksum_combine(crc_alg, acc, value, *len)
        };
    }
    Ok(Some(STANDARD.encode(crc_bytes(alg, acc))))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use ChecksumAlgorithm::*;

    fn b64(alg: ChecksumAlgorithm, data: &[u8]) -> String {
        let mut h = ChecksumHasher::new(alg);
        h.update(data);
        h.finalize_base64()
    }

    // Expected values computed independently with Python (zlib.crc32,
    // the crc32c package, hashlib, and a bitwise CRC-64/NVME).
    #[test]
    fn known_answers_hello_world() {
        // Note: not "DUqGlQ==" (a commonly quoted wrong value); zlib.crc32 agrees.
        assert_eq!(b64(Crc32, b"hello world"), "DUoRhQ==");
        assert_eq!(b64(Crc32c, b"hello world"), "yZRlqg==");
        assert_eq!(b64(Crc64Nvme, b"hello world"), "jSnVw/bqjr4=");
        assert_eq!(b64(Sha1, b"hello world"), "Kq5sNclPz7QV2+lfQIuc6R7oRu0=");
        assert_eq!(
            b64(Sha256, b"hello world"),
            "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="
        );
    }

    #[test]
    fn known_answers_empty() {
        assert_eq!(b64(Crc32, b""), "AAAAAA==");
        assert_eq!(b64(Crc32c, b""), "AAAAAA==");
        assert_eq!(b64(Crc64Nvme, b""), "AAAAAAAAAAA=");
    }

    #[test]
    fn incremental_equals_one_shot() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 31 % 251) as u8).collect();
        for alg in ChecksumAlgorithm::ALL {
            let mut h = ChecksumHasher::new(alg);
            for piece in data.chunks(7) {
                h.update(piece);
            }
            assert_eq!(h.finalize_base64(), b64(alg, &data), "{alg:?}");
        }
    }

    #[test]
    fn raw_lengths() {
        for alg in ChecksumAlgorithm::ALL {
            assert_eq!(ChecksumHasher::new(alg).finalize().len(), checksum_len(alg));
        }
    }

    #[test]
    fn validates_values() {
        assert!(validate_checksum_value(Crc32, "DUoRhQ==").is_ok());
        assert!(validate_checksum_value(Crc64Nvme, "jSnVw/bqjr4=").is_ok());
        let e = validate_checksum_value(Crc32, "DUoRhQ").unwrap_err();
        assert_eq!(e.code, S3ErrorCode::InvalidRequest);
        assert_eq!(
            e.message,
            "Value for x-amz-checksum-crc32 header is invalid."
        );
        assert!(validate_checksum_value(Crc32, "jSnVw/bqjr4=").is_err());
        assert!(validate_checksum_value(Sha256, "not base64!").is_err());
        assert!(validate_checksum_value(Sha1, "").is_err());
    }

    #[test]
    fn composite_of_parts() {
        // Parts "hello " and "world"; expectations from Python:
        // base64(crc(raw(crc("hello ")) + raw(crc("world")))) + "-2".
        let p1 = b64(Crc32, b"hello ");
        let p2 = b64(Crc32, b"world");
        assert_eq!(
            composite_checksum(Crc32, &[&p1, &p2]).unwrap(),
            "1Fu2mQ==-2"
        );
        let p1 = b64(Crc32c, b"hello ");
        let p2 = b64(Crc32c, b"world");
        assert_eq!(
            composite_checksum(Crc32c, &[&p1, &p2]).unwrap(),
            "vUZpoA==-2"
        );
        let p1 = b64(Sha256, b"hello ");
        let p2 = b64(Sha256, b"world");
        assert_eq!(
            composite_checksum(Sha256, &[&p1, &p2]).unwrap(),
            "Zhie15keHg/OBlOZxcoF/BXCgYZaeimRvdZnwUZqkaQ=-2"
        );
        assert!(composite_checksum(Crc32, &[]).is_err());
        assert!(composite_checksum(Crc32, &["bad"]).is_err());
    }

    #[test]
    fn combined_full_object_crc_equals_crc_of_whole() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 256) as u8).collect();
        let (a, rest) = data.split_at(40_000);
        let (b, c) = rest.split_at(35_000);
        for alg in [Crc32, Crc32c, Crc64Nvme] {
            let parts = [b64(alg, a), b64(alg, b), b64(alg, &[]), b64(alg, c)];
            let lens = [a.len(), b.len(), 0, c.len()];
            let input: Vec<(&str, u64)> = parts
                .iter()
                .map(String::as_str)
                .zip(lens.map(|l| l as u64))
                .collect();
            let combined = combine_full_object_crc(alg, &input).unwrap().unwrap();
            assert_eq!(combined, b64(alg, &data), "{alg:?}");
        }
        assert_eq!(combine_full_object_crc(Sha256, &[]).unwrap(), None);
        assert_eq!(
            combine_full_object_crc(Crc32, &[]).unwrap().unwrap(),
            "AAAAAA=="
        );
    }

    #[test]
    fn combined_known_answer_hello_world() {
        let p1 = b64(Crc64Nvme, b"hello ");
        let p2 = b64(Crc64Nvme, b"world");
        let input = [(p1.as_str(), 6u64), (p2.as_str(), 5u64)];
        assert_eq!(
            combine_full_object_crc(Crc64Nvme, &input).unwrap().unwrap(),
            "jSnVw/bqjr4="
        );
    }
}
