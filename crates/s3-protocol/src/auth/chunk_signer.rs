//! Signatures of aws-chunked payload chunks and of the trailer chunk
//! (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`), each chained to the
//! previous signature, starting from the request's (seed) signature.

use std::fmt;

use sha2::{Digest, Sha256};

use super::signing::{constant_time_eq, hmac_sha256, EMPTY_SHA256_HEX};
use crate::error::{S3Error, S3ErrorCode};

const CHUNK_ALGORITHM: &str = "AWS4-HMAC-SHA256-PAYLOAD";
const TRAILER_ALGORITHM: &str = "AWS4-HMAC-SHA256-TRAILER";

/// Signs and verifies the chained signatures of a streaming upload.
///
/// Holds the signing key, the request timestamp and scope, and the previous
/// signature (initially the seed signature of the request).
#[derive(Clone, PartialEq, Eq)]
pub struct ChunkSigner {
    key: [u8; 32],
    amz_date: String,
    scope: String,
    previous: String,
}

impl fmt::Debug for ChunkSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkSigner")
            .field("amz_date", &self.amz_date)
            .field("scope", &self.scope)
            .field("previous", &self.previous)
            .finish_non_exhaustive()
    }
}

impl ChunkSigner {
    /// A signer chained from `seed_signature` (hex) under `key`, for the
    /// request timestamp `amz_date` (`YYYYMMDDTHHMMSSZ`) and credential `scope`.
    pub fn new(key: [u8; 32], amz_date: String, scope: String, seed_signature: String) -> Self {
        ChunkSigner {
            key,
            amz_date,
            scope,
            previous: seed_signature,
        }
    }

    /// The previous signature in the chain (the seed before any chunk).
    pub fn previous_signature(&self) -> &str {
        &self.previous
    }

    /// The expected signature of the next chunk whose data hashes to `chunk_sha256`.
    pub fn chunk_signature(&self, chunk_sha256: &[u8; 32]) -> String {
        let sts = format!(
            "{CHUNK_ALGORITHM}\n{}\n{}\n{}\n{EMPTY_SHA256_HEX}\n{}",
            self.amz_date,
            self.scope,
            self.previous,
            hex::encode(chunk_sha256)
        );
        hex::encode(hmac_sha256(&self.key, sts.as_bytes()))
    }

    /// The expected signature of the trailer chunk, given its canonical
    /// form (each trailer as `name:value\n`).
    pub fn trailer_signature(&self, canonical_trailers: &[u8]) -> String {
        let sts = format!(
            "{TRAILER_ALGORITHM}\n{}\n{}\n{}\n{}",
            self.amz_date,
            self.scope,
            self.previous,
            hex::encode(Sha256::digest(canonical_trailers))
        );
        hex::encode(hmac_sha256(&self.key, sts.as_bytes()))
    }

    /// Checks a chunk's signature and advances the chain.
    /// A mismatch is `SignatureDoesNotMatch`.
    pub fn verify_chunk(
        &mut self,
        chunk_sha256: &[u8; 32],
        signature: &str,
    ) -> Result<(), S3Error> {
        let expected = self.chunk_signature(chunk_sha256);
        self.check(expected, signature, "chunk")
    }

    /// Checks the trailer signature and advances the chain.
    pub fn verify_trailer(
        &mut self,
        canonical_trailers: &[u8],
        signature: &str,
    ) -> Result<(), S3Error> {
        let expected = self.trailer_signature(canonical_trailers);
        self.check(expected, signature, "trailer")
    }

    /// Signs a chunk of data and advances the chain (client side).
    pub fn sign_chunk(&mut self, data: &[u8]) -> String {
        let sig = self.chunk_signature(&Sha256::digest(data).into());
        self.previous.clone_from(&sig);
        sig
    }

    /// Signs the canonical trailers and advances the chain (client side).
    pub fn sign_trailer(&mut self, canonical_trailers: &[u8]) -> String {
        let sig = self.trailer_signature(canonical_trailers);
        self.previous.clone_from(&sig);
        sig
    }

    fn check(&mut self, expected: String, got: &str, what: &str) -> Result<(), S3Error> {
        if constant_time_eq(expected.as_bytes(), got.as_bytes()) {
            self.previous = expected;
            Ok(())
        } else {
            tracing::debug!(what, "aws-chunked signature mismatch");
            Err(S3Error::with_message(
                S3ErrorCode::SignatureDoesNotMatch,
                format!(
                    "The {what} signature we calculated does not match the signature you provided."
                ),
            ))
        }
    }
}

/// The canonical form of trailers that the trailer signature covers: each
/// as `name:value\n`, names lower-cased and values trimmed, in order.
pub fn canonical_trailers<N: AsRef<str>, V: AsRef<str>>(trailers: &[(N, V)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 * trailers.len());
    for (name, value) in trailers {
        out.extend_from_slice(name.as_ref().trim().to_ascii_lowercase().as_bytes());
        out.push(b':');
        out.extend_from_slice(value.as_ref().trim().as_bytes());
        out.push(b'\n');
    }
    out
}
