//! The signing side of SigV4, for tests, the admin CLI and the bench tool:
//! header signing, presigned URLs and aws-chunked bodies with chunk and
//! trailer signatures.

use http::{HeaderMap, HeaderValue, Method, Uri};
use time::OffsetDateTime;

use super::canonical::{
    aws_uri_encode, canonical_headers, canonical_query, canonical_request, canonical_uri,
    CanonicalInput,
};
use super::chunk_signer::{canonical_trailers, ChunkSigner};
use super::signing::{format_amz_date, scope, sign, signing_key, string_to_sign, ALGORITHM};
use super::{MAX_PRESIGNED_EXPIRES, UNSIGNED_PAYLOAD};
use crate::error::{S3Error, S3ErrorCode};

/// Credentials and scope to sign with.
#[derive(Clone, Copy, Debug)]
pub struct SigningParams<'a> {
    /// Access key id.
    pub access_key: &'a str,
    /// Secret access key.
    pub secret_key: &'a str,
    /// Region, e.g. `us-east-1`.
    pub region: &'a str,
    /// Service, `s3` for S3.
    pub service: &'a str,
    /// The signing time.
    pub now: OffsetDateTime,
}

impl SigningParams<'_> {
    fn date(&self) -> (String, String) {
        let amz_date = format_amz_date(self.now);
        let day = amz_date.get(..8).unwrap_or_default().to_string();
        (amz_date, day)
    }

    fn key_and_scope(&self, day: &str) -> ([u8; 32], String) {
        (
            signing_key(self.secret_key, day, self.region, self.service),
            scope(day, self.region, self.service),
        )
    }
}

/// Headers never signed: proxies and HTTP libraries may change them.
const UNSIGNED_HEADERS: [&str; 6] = [
    "authorization",
    "user-agent",
    "expect",
    "connection",
    "transfer-encoding",
    "x-amzn-trace-id",
];

fn bad_input(msg: impl Into<String>) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidArgument, msg)
}

fn header_value(s: &str) -> Result<HeaderValue, S3Error> {
    HeaderValue::from_str(s).map_err(|_| bad_input(format!("invalid header value {s:?}")))
}

/// Adds `x-amz-date`, `x-amz-content-sha256` (= `payload_sha256_hex`: a hex
/// hash, `UNSIGNED-PAYLOAD` or a `STREAMING-*` value) and `Authorization`.
/// `headers` must contain `host`. Every header present is signed except
/// hop-by-hop ones and `user-agent`.
pub fn sign_request(
    method: &Method,
    uri: &Uri,
    headers: &mut HeaderMap,
    payload_sha256_hex: &str,
    params: &SigningParams,
) -> Result<(), S3Error> {
    if !headers.contains_key(http::header::HOST) {
        return Err(bad_input("sign_request: headers must contain host"));
    }
    let (amz_date, day) = params.date();
    headers.insert("x-amz-date", header_value(&amz_date)?);
    headers.insert("x-amz-content-sha256", header_value(payload_sha256_hex)?);
    headers.remove(http::header::AUTHORIZATION);

    let mut signed: Vec<String> = headers
        .keys()
        .map(|k| k.as_str().to_string())
        .filter(|k| !UNSIGNED_HEADERS.contains(&k.as_str()))
        .collect();
    signed.sort();
    signed.dedup();

    let (key, scope) = params.key_and_scope(&day);
    let creq = canonical_request(&CanonicalInput {
        method: method.as_str(),
        uri: &canonical_uri(uri.path()),
        query: &canonical_query(uri.query(), None),
        headers: &canonical_headers(headers, &signed, None),
        signed_headers: &signed,
        payload_hash: payload_sha256_hex,
    });
    let signature = sign(&key, &string_to_sign(&amz_date, &scope, &creq));
    let authorization = format!(
        "{ALGORITHM} Credential={}/{scope}, SignedHeaders={}, Signature={signature}",
        params.access_key,
        signed.join(";")
    );
    headers.insert(http::header::AUTHORIZATION, header_value(&authorization)?);
    Ok(())
}

/// The signature in a SigV4 Authorization header: the seed signature of a
/// streaming upload.
pub fn authorization_signature(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (_, sig) = value.rsplit_once("Signature=")?;
    Some(sig.trim().to_string())
}

/// Returns the presigned URL for `url` (absolute, `http://host:port/path?query`)
/// valid for `expires_secs` (1..=604800). Only `host` is signed; the payload
/// is `UNSIGNED-PAYLOAD`.
pub fn presign_url(
    method: &Method,
    url: &str,
    expires_secs: u64,
    params: &SigningParams,
) -> Result<String, S3Error> {
    if expires_secs == 0 || expires_secs > MAX_PRESIGNED_EXPIRES {
        return Err(bad_input("expires_secs must be in 1..=604800"));
    }
    let uri: Uri = url
        .parse()
        .map_err(|_| bad_input(format!("invalid URL {url:?}")))?;
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return Err(bad_input("presign_url needs an absolute URL"));
    };
    let default_port = match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    };
    let host = match authority.port_u16() {
        Some(p) if Some(p) == default_port => authority.host().to_string(),
        _ => authority
            .as_str()
            .rsplit('@')
            .next()
            .unwrap_or_default()
            .to_string(),
    };

    let (amz_date, day) = params.date();
    let (key, scope) = params.key_and_scope(&day);
    let credential = format!("{}/{scope}", params.access_key);
    let mut query = uri.query().map(str::to_string).unwrap_or_default();
    for (name, value) in [
        ("X-Amz-Algorithm", ALGORITHM),
        ("X-Amz-Credential", credential.as_str()),
        ("X-Amz-Date", amz_date.as_str()),
        ("X-Amz-Expires", &expires_secs.to_string()),
        ("X-Amz-SignedHeaders", "host"),
    ] {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(name);
        query.push('=');
        query.push_str(&aws_uri_encode(value.as_bytes(), false));
    }

    let mut headers = HeaderMap::new();
    headers.insert(http::header::HOST, header_value(&host)?);
    let signed = vec!["host".to_string()];
    let creq = canonical_request(&CanonicalInput {
        method: method.as_str(),
        uri: &canonical_uri(uri.path()),
        query: &canonical_query(Some(&query), None),
        headers: &canonical_headers(&headers, &signed, None),
        signed_headers: &signed,
        payload_hash: UNSIGNED_PAYLOAD,
    });
    let signature = sign(&key, &string_to_sign(&amz_date, &scope, &creq));
    Ok(format!(
        "{scheme}://{authority}{}?{query}&X-Amz-Signature={signature}",
        uri.path()
    ))
}

fn chunk_sizes(body: &[u8], chunk_size: usize) -> std::slice::Chunks<'_, u8> {
    body.chunks(chunk_size.max(1))
}

/// Encodes `body` as aws-chunked with chunk signatures
/// (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`, or `...-TRAILER` when `trailers`
/// is non-empty), chained from `seed_signature` (the signature of the
/// Authorization header made by [`sign_request`] with the same `params`).
/// Trailers such as `("x-amz-checksum-crc32", base64)` are appended and
/// signed with `x-amz-trailer-signature`.
pub fn encode_signed_chunks(
    body: &[u8],
    chunk_size: usize,
    seed_signature: &str,
    params: &SigningParams,
    trailers: &[(&str, &str)],
) -> Vec<u8> {
    let (amz_date, day) = params.date();
    let (key, scope) = params.key_and_scope(&day);
    let mut signer = ChunkSigner::new(key, amz_date, scope, seed_signature.to_string());
    let mut out = Vec::with_capacity(body.len() + 100 * (body.len() / chunk_size.max(1) + 2));
    for chunk in chunk_sizes(body, chunk_size) {
        let sig = signer.sign_chunk(chunk);
        out.extend_from_slice(format!("{:x};chunk-signature={sig}\r\n", chunk.len()).as_bytes());
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    let sig = signer.sign_chunk(&[]);
    out.extend_from_slice(format!("0;chunk-signature={sig}\r\n").as_bytes());
    if !trailers.is_empty() {
        write_trailers(&mut out, trailers);
        let sig = signer.sign_trailer(&canonical_trailers(trailers));
        out.extend_from_slice(format!("x-amz-trailer-signature:{sig}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// Encodes `body` as aws-chunked without signatures
/// (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`), with `trailers` appended.
pub fn encode_unsigned_chunks(
    body: &[u8],
    chunk_size: usize,
    trailers: &[(&str, &str)],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 16 * (body.len() / chunk_size.max(1) + 2));
    for chunk in chunk_sizes(body, chunk_size) {
        out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n");
    write_trailers(&mut out, trailers);
    out.extend_from_slice(b"\r\n");
    out
}

fn write_trailers(out: &mut Vec<u8>, trailers: &[(&str, &str)]) {
    for (name, value) in trailers {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}
