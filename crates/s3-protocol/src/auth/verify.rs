//! Verification of parsed SigV4 credentials against the secret key: clock
//! skew and expiry, the payload mode, and the signature itself.

use http::request::Parts;
use time::OffsetDateTime;

use super::canonical::{
    canonical_headers, canonical_query, canonical_request, canonical_uri, CanonicalInput,
};
use super::signing::{constant_time_eq, format_amz_date, scope, sign, signing_key, string_to_sign};
use super::{
    ChunkSigner, PayloadMode, V4Auth, Verified, MAX_CLOCK_SKEW_SECS, STREAMING_PAYLOAD,
    STREAMING_PAYLOAD_TRAILER, STREAMING_UNSIGNED_PAYLOAD_TRAILER, UNSIGNED_PAYLOAD,
};
use crate::error::{S3Error, S3ErrorCode};

/// What `x-amz-content-sha256` announced, before the signer exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Payload {
    Unsigned,
    Sha256([u8; 32]),
    Streaming,
    StreamingTrailer,
    UnsignedTrailer,
}

fn parse_payload(value: &str) -> Option<Payload> {
    match value {
        UNSIGNED_PAYLOAD => Some(Payload::Unsigned),
        STREAMING_PAYLOAD => Some(Payload::Streaming),
        STREAMING_PAYLOAD_TRAILER => Some(Payload::StreamingTrailer),
        STREAMING_UNSIGNED_PAYLOAD_TRAILER => Some(Payload::UnsignedTrailer),
        hex_hash if hex_hash.len() == 64 => {
            let mut out = [0u8; 32];
            hex::decode_to_slice(hex_hash, &mut out).ok()?;
            Some(Payload::Sha256(out))
        }
        _ => None,
    }
}

fn invalid_content_sha256() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::InvalidArgument,
        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, \
         STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.",
    )
    .extra("ArgumentName", "x-amz-content-sha256")
}

/// The payload hashes to try in the canonical request, in order, each with
/// the payload mode it implies.
fn payload_candidates(parts: &Parts, auth: &V4Auth) -> Result<Vec<(String, Payload)>, S3Error> {
    let header = match parts.headers.get("x-amz-content-sha256") {
        Some(v) => Some(v.to_str().map_err(|_| invalid_content_sha256())?.trim()),
        None => None,
    };
    if !auth.presigned {
        let value = header.ok_or_else(|| {
            S3Error::with_message(
                S3ErrorCode::InvalidRequest,
                "Missing required header for this request: x-amz-content-sha256",
            )
        })?;
        let payload = parse_payload(value).ok_or_else(invalid_content_sha256)?;
        return Ok(vec![(value.to_string(), payload)]);
    }
    // Presigned: the hash may come from the query (some SDKs) or a header;
    // UNSIGNED-PAYLOAD otherwise, and as a fallback.
    let query_value = parts.uri.query().and_then(|q| {
        q.split('&')
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.eq_ignore_ascii_case("X-Amz-Content-Sha256"))
            .map(|(_, v)| v)
    });
    let mut out = Vec::with_capacity(2);
    if let Some(value) = query_value.or(header) {
        match parse_payload(value) {
            Some(p @ (Payload::Unsigned | Payload::Sha256(_))) => out.push((value.to_string(), p)),
            Some(_) => {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidRequest,
                    "Streaming (aws-chunked) uploads are not supported with presigned URLs",
                ))
            }
            None => return Err(invalid_content_sha256()),
        }
    }
    if !out.iter().any(|(_, p)| *p == Payload::Unsigned) {
        out.push((UNSIGNED_PAYLOAD.to_string(), Payload::Unsigned));
    }
    Ok(out)
}

fn check_time(auth: &V4Auth, now: OffsetDateTime) -> Result<(), S3Error> {
    let delta = (now - auth.time).whole_seconds();
    if auth.presigned {
        let expires = i64::try_from(auth.expires.unwrap_or(0)).unwrap_or(i64::MAX);
        if -delta > MAX_CLOCK_SKEW_SECS {
            return Err(S3Error::with_message(
                S3ErrorCode::AccessDenied,
                "Request is not valid yet",
            ));
        }
        if delta > expires {
            let expired_at = auth
                .time
                .checked_add(time::Duration::seconds(expires))
                .unwrap_or(auth.time);
            return Err(
                S3Error::with_message(S3ErrorCode::AccessDenied, "Request has expired")
                    .extra("X-Amz-Expires", expires.to_string())
                    .extra("Expires", format_amz_date(expired_at))
                    .extra("ServerTime", format_amz_date(now)),
            );
        }
    } else if delta.abs() > MAX_CLOCK_SKEW_SECS {
        return Err(S3Error::new(S3ErrorCode::RequestTimeTooSkewed)
            .extra("RequestTime", auth.amz_date.clone())
            .extra("ServerTime", format_amz_date(now))
            .extra(
                "MaxAllowedSkewMilliseconds",
                (MAX_CLOCK_SKEW_SECS * 1000).to_string(),
            ));
    }
    Ok(())
}

/// Verifies the signature of a request with the caller-supplied secret for
/// `auth.access_key_id`, and returns the payload mode the body must follow.
///
/// Errors: `RequestTimeTooSkewed` (more than 15 minutes off), `AccessDenied`
/// (presigned URL expired or not yet valid), `InvalidRequest` (missing
/// `x-amz-content-sha256`), `InvalidArgument` (unknown
/// `x-amz-content-sha256`), `AuthorizationHeaderMalformed` /
/// `AuthorizationQueryParametersError` (`host` not signed),
/// `SignatureDoesNotMatch`.
pub fn verify_v4(
    parts: &Parts,
    auth: &V4Auth,
    secret_key: &str,
    now: OffsetDateTime,
) -> Result<Verified, S3Error> {
    check_time(auth, now)?;
    if !auth.signed_headers.iter().any(|h| h == "host") {
        let code = if auth.presigned {
            S3ErrorCode::AuthorizationQueryParametersError
        } else {
            S3ErrorCode::AuthorizationHeaderMalformed
        };
        return Err(S3Error::with_message(
            code,
            "SignedHeaders must include the host header",
        ));
    }
    let payloads = payload_candidates(parts, auth)?;

    let key = signing_key(secret_key, &auth.date, &auth.region, &auth.service);
    let scope = scope(&auth.date, &auth.region, &auth.service);
    let authority = parts.uri.authority().map(|a| a.as_str());
    let headers = canonical_headers(&parts.headers, &auth.signed_headers, authority);
    let query = canonical_query(
        parts.uri.query(),
        auth.presigned.then_some("X-Amz-Signature"),
    );
    let raw_path = parts.uri.path();
    let decoded_uri = canonical_uri(raw_path);
    let mut uris = vec![decoded_uri.as_str()];
    if raw_path != decoded_uri && !raw_path.is_empty() {
        uris.push(raw_path);
    }

    let mut first_attempt = None;
    for (payload_hash, payload) in &payloads {
        for uri in &uris {
            let creq = canonical_request(&CanonicalInput {
                method: parts.method.as_str(),
                uri,
                query: &query,
                headers: &headers,
                signed_headers: &auth.signed_headers,
                payload_hash,
            });
            let sts = string_to_sign(&auth.amz_date, &scope, &creq);
            let expected = sign(&key, &sts);
            if constant_time_eq(expected.as_bytes(), auth.signature.as_bytes()) {
                return Ok(Verified {
                    access_key_id: auth.access_key_id.clone(),
                    region: auth.region.clone(),
                    payload: payload_mode(*payload, key, auth, &scope),
                });
            }
            first_attempt.get_or_insert((creq, sts));
        }
    }
    let (creq, sts) = first_attempt.unwrap_or_default();
    let creq = String::from_utf8_lossy(&creq).into_owned();
    tracing::debug!(
        access_key_id = %auth.access_key_id,
        canonical_request = %creq,
        "SigV4 signature mismatch"
    );
    Err(S3Error::new(S3ErrorCode::SignatureDoesNotMatch)
        .extra("AWSAccessKeyId", auth.access_key_id.clone())
        .extra("StringToSign", sts)
        .extra("CanonicalRequest", creq))
}

fn payload_mode(payload: Payload, key: [u8; 32], auth: &V4Auth, scope: &str) -> PayloadMode {
    let signer = || {
        ChunkSigner::new(
            key,
            auth.amz_date.clone(),
            scope.to_string(),
            auth.signature.clone(),
        )
    };
    match payload {
        Payload::Unsigned => PayloadMode::Unsigned,
        Payload::Sha256(h) => PayloadMode::Sha256(h),
        Payload::Streaming => PayloadMode::StreamingSigned(signer()),
        Payload::StreamingTrailer => PayloadMode::StreamingSignedTrailer(signer()),
        Payload::UnsignedTrailer => PayloadMode::StreamingUnsignedTrailer,
    }
}
