//! AWS Signature Version 4: parsing the credentials of a request (header or
//! presigned query), verifying them against a secret, and the payload mode
//! they announce (signed hash, unsigned, or an aws-chunked stream).
//!
//! Small files of pure functions: [`canonical`] (canonical request),
//! [`signing`] (key derivation, string to sign), [`parse`] (Authorization
//! header and presigned query), [`verify`] (the checks), [`chunk_signer`]
//! (chained chunk and trailer signatures) and [`client`] (the signing side,
//! for tests and tools).

pub mod canonical;
pub mod chunk_signer;
pub mod client;
mod parse;
pub mod signing;
pub mod v2;
mod verify;

#[cfg(test)]
pub(crate) mod tests;

pub use chunk_signer::ChunkSigner;
pub use parse::parse_auth;
pub use v2::{verify_v2, V2Auth};
pub use verify::verify_v4;

use time::OffsetDateTime;

/// Longest validity of a presigned URL, in seconds (7 days).
pub const MAX_PRESIGNED_EXPIRES: u64 = 604_800;
/// Largest accepted difference between the request time and ours, in seconds.
pub const MAX_CLOCK_SKEW_SECS: i64 = 15 * 60;

/// `x-amz-content-sha256` value of a request without payload signing.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// `x-amz-content-sha256` of an aws-chunked body with chunk signatures.
pub const STREAMING_PAYLOAD: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
/// As [`STREAMING_PAYLOAD`], with signed trailers.
pub const STREAMING_PAYLOAD_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
/// An aws-chunked body without chunk signatures, with unsigned trailers.
pub const STREAMING_UNSIGNED_PAYLOAD_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

/// How a request authenticates itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestAuth {
    /// No credentials at all.
    Anonymous,
    /// AWS Signature Version 4, in the Authorization header or the query.
    V4(V4Auth),
    /// AWS Signature Version 2 (legacy, still sent by some clients, e.g.
    /// boto3's presigned URLs), in the Authorization header or the query.
    V2(V2Auth),
}

/// The parsed (not yet verified) SigV4 credentials of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct V4Auth {
    /// The access key the request claims.
    pub access_key_id: String,
    /// Scope date, `YYYYMMDD`.
    date: String,
    region: String,
    service: String,
    /// Lower-case header names, in the order given.
    signed_headers: Vec<String>,
    /// Lower-case hex.
    signature: String,
    presigned: bool,
    /// The request timestamp in `YYYYMMDDTHHMMSSZ` form, as signed.
    amz_date: String,
    time: OffsetDateTime,
    /// `X-Amz-Expires` of a presigned request.
    expires: Option<u64>,
}

impl V4Auth {
    /// The region of the credential scope.
    pub fn region(&self) -> &str {
        &self.region
    }
    /// The service of the credential scope (`s3` for S3 clients).
    pub fn service(&self) -> &str {
        &self.service
    }
    /// The date of the credential scope, `YYYYMMDD` (the signing-key cache key with secret, region, service).
    pub fn scope_date(&self) -> &str {
        &self.date
    }
    /// Whether the credentials came from the query string (presigned URL).
    pub fn is_presigned(&self) -> bool {
        self.presigned
    }
    /// The time the request was signed.
    pub fn request_time(&self) -> OffsetDateTime {
        self.time
    }
    /// `X-Amz-Expires` of a presigned URL, in seconds.
    pub fn expires(&self) -> Option<u64> {
        self.expires
    }
    /// The signed header names, lower-case.
    pub fn signed_headers(&self) -> &[String] {
        &self.signed_headers
    }
}

/// A request whose signature checked out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The authenticated access key.
    pub access_key_id: String,
    /// The region the client signed for.
    pub region: String,
    /// What the body must look like.
    pub payload: PayloadMode,
}

/// How the request body is protected, from `x-amz-content-sha256`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PayloadMode {
    /// `UNSIGNED-PAYLOAD`, and presigned requests.
    Unsigned,
    /// The body must hash to this (checked by the gateway at the end of the
    /// body: `XAmzContentSHA256Mismatch`).
    Sha256([u8; 32]),
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: aws-chunked with chunk signatures.
    StreamingSigned(ChunkSigner),
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: as above, plus signed trailers.
    StreamingSignedTrailer(ChunkSigner),
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: aws-chunked without signatures, with trailers.
    StreamingUnsignedTrailer,
}

impl PayloadMode {
    /// Whether the body is aws-chunked encoded.
    pub fn is_streaming(&self) -> bool {
        matches!(
            self,
            PayloadMode::StreamingSigned(_)
                | PayloadMode::StreamingSignedTrailer(_)
                | PayloadMode::StreamingUnsignedTrailer
        )
    }
}
