//! Request bodies in, response bodies out.
//!
//! [`request_stream`] turns a hyper body into the engine's [`BodyStream`]:
//! it decodes aws-chunked framing (checking chunk signatures), and checks the
//! payload SHA-256, the `x-amz-checksum-*` value (from a header or a
//! trailer) and the decoded length. A failed check ends the stream with the
//! S3 error, so the engine never commits a bad body.

use bytes::Bytes;
use futures::StreamExt;
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tessera_engine::{BodyStream, DataStream};
use tessera_s3_protocol::auth::PayloadMode;
use tessera_s3_protocol::checksum::{validate_checksum_value, ChecksumHasher};
use tessera_s3_protocol::chunked::ChunkedDecoder;
use tessera_s3_protocol::{S3Error, S3ErrorCode};
use tessera_types::{Checksum, ChecksumAlgorithm, ChecksumType};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// Every response body.
pub type Body = UnsyncBoxBody<Bytes, BoxError>;

pub fn empty() -> Body {
    Full::new(Bytes::new())
        .map_err(|e| match e {})
        .boxed_unsync()
}

pub fn full(data: impl Into<Bytes>) -> Body {
    Full::new(data.into())
        .map_err(|e| match e {})
        .boxed_unsync()
}

/// A response body streaming object data from the engine. A failure midway
/// aborts the connection (the client sees a short body, never wrong bytes).
pub fn stream(data: DataStream) -> Body {
    let frames = data.map(|r| {
        r.map(Frame::data).map_err(|e| {
            tracing::error!(error = %e, "object read failed mid-stream");
            Box::new(e) as BoxError
        })
    });
    BodyExt::boxed_unsync(StreamBody::new(frames))
}

/// What the body must hash to, per the request's headers.
#[derive(Clone, Debug)]
pub enum ChecksumExpectation {
    /// `x-amz-checksum-ALG: value` header.
    Header(ChecksumAlgorithm, String),
    /// `x-amz-trailer: x-amz-checksum-ALG`: the value arrives in a trailer.
    Trailer(ChecksumAlgorithm),
    /// Compute and store, nothing to compare.
    Compute(ChecksumAlgorithm),
}

impl ChecksumExpectation {
    pub fn algorithm(&self) -> ChecksumAlgorithm {
        match self {
            ChecksumExpectation::Header(a, _)
            | ChecksumExpectation::Trailer(a)
            | ChecksumExpectation::Compute(a) => *a,
        }
    }
}

/// Reads the checksum headers of a request: at most one `x-amz-checksum-*`
/// value, or a trailer announcing one, or `x-amz-sdk-checksum-algorithm`.
/// Without any, `default` (if given) is computed.
pub fn checksum_expectation(
    headers: &http::HeaderMap,
    default: Option<ChecksumAlgorithm>,
) -> Result<Option<ChecksumExpectation>, S3Error> {
    let mut found: Option<ChecksumExpectation> = None;
    for alg in ChecksumAlgorithm::ALL {
        if let Some(v) = headers.get(alg.header_name()) {
            if found.is_some() {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidRequest,
                    "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
                ));
            }
            let v = v.to_str().unwrap_or_default().trim().to_string();
            validate_checksum_value(alg, &v)?;
            found = Some(ChecksumExpectation::Header(alg, v));
        }
    }
    if found.is_some() {
        return Ok(found);
    }
    if let Some(t) = headers.get("x-amz-trailer").and_then(|v| v.to_str().ok()) {
        let name = t.trim().to_ascii_lowercase();
        let alg = ChecksumAlgorithm::from_header_name(&name).ok_or_else(|| {
            S3Error::with_message(
                S3ErrorCode::InvalidRequest,
                format!("The value specified in the x-amz-trailer header is not supported: {t}"),
            )
        })?;
        return Ok(Some(ChecksumExpectation::Trailer(alg)));
    }
    for h in ["x-amz-sdk-checksum-algorithm", "x-amz-checksum-algorithm"] {
        if let Some(v) = headers.get(h).and_then(|v| v.to_str().ok()) {
            let alg = ChecksumAlgorithm::parse(v.trim()).ok_or_else(|| {
                S3Error::with_message(
                    S3ErrorCode::InvalidRequest,
                    format!("Value for {h} header is invalid."),
                )
            })?;
            return Ok(Some(ChecksumExpectation::Compute(alg)));
        }
    }
    Ok(default.map(ChecksumExpectation::Compute))
}

/// The checksum computed over a body, available once the stream has ended
/// successfully.
pub type ChecksumCell = Arc<Mutex<Option<Checksum>>>;

struct State {
    incoming: Incoming,
    decoder: Option<ChunkedDecoder>,
    sha256: Option<(Sha256, [u8; 32])>,
    checksum: Option<(ChecksumHasher, ChecksumExpectation)>,
    expected_len: Option<u64>,
    len: u64,
    pending: VecDeque<Bytes>,
    cell: ChecksumCell,
    done: bool,
}

/// Wraps a request body for the engine. `expected_len` is the decoded length
/// the client announced (`x-amz-decoded-content-length` for aws-chunked).
pub fn request_stream(
    incoming: Incoming,
    payload: &PayloadMode,
    checksum: Option<ChecksumExpectation>,
    expected_len: Option<u64>,
) -> (BodyStream, ChecksumCell) {
    let cell: ChecksumCell = Arc::new(Mutex::new(None));
    let state = State {
        incoming,
        decoder: ChunkedDecoder::new(payload),
        sha256: match payload {
            PayloadMode::Sha256(h) => Some((Sha256::new(), *h)),
            _ => None,
        },
        checksum: checksum.map(|c| (ChecksumHasher::new(c.algorithm()), c)),
        expected_len,
        len: 0,
        pending: VecDeque::new(),
        cell: cell.clone(),
        done: false,
    };
    let s = futures::stream::unfold(state, |mut st| async move {
        loop {
            if let Some(b) = st.pending.pop_front() {
                return Some((Ok(b), st));
            }
            if st.done {
                return None;
            }
            match next_chunks(&mut st).await {
                Ok(()) => {}
                Err(e) => {
                    st.done = true;
                    st.pending.clear();
                    return Some((Err(Box::new(e) as BoxError), st));
                }
            }
        }
    });
    (s.boxed(), cell)
}

/// Pulls the next frame, decoding and hashing it into `pending`; at the end
/// of the body runs the final checks and sets `done`.
async fn next_chunks(st: &mut State) -> Result<(), S3Error> {
    match st.incoming.frame().await {
        Some(Ok(frame)) => {
            let Ok(data) = frame.into_data() else {
                return Ok(()); // HTTP trailers: not used by S3 clients
            };
            let mut out = Vec::new();
            match &mut st.decoder {
                Some(d) => d.feed(data, &mut out)?,
                None => out.push(data),
            }
            for b in out {
                st.len += b.len() as u64;
                if let Some(limit) = st.expected_len {
                    if st.len > limit {
                        return Err(S3Error::with_message(
                            S3ErrorCode::IncompleteBody,
                            "The request body is longer than its declared length.",
                        ));
                    }
                }
                if let Some((h, _)) = &mut st.sha256 {
                    h.update(&b);
                }
                if let Some((h, _)) = &mut st.checksum {
                    h.update(&b);
                }
                if !b.is_empty() {
                    st.pending.push_back(b);
                }
            }
            Ok(())
        }
        Some(Err(e)) => {
            tracing::debug!(error = %e, "request body read failed");
            Err(S3Error::new(S3ErrorCode::IncompleteBody))
        }
        None => {
            st.done = true;
            finish(st)
        }
    }
}

fn finish(st: &mut State) -> Result<(), S3Error> {
    let trailers = match st.decoder.take() {
        Some(d) => d.finish()?,
        None => Vec::new(),
    };
    if let Some(limit) = st.expected_len {
        if st.len != limit {
            return Err(S3Error::new(S3ErrorCode::IncompleteBody));
        }
    }
    if let Some((h, expected)) = st.sha256.take() {
        let got: [u8; 32] = h.finalize().into();
        if got != expected {
            return Err(S3Error::new(S3ErrorCode::XAmzContentSHA256Mismatch)
                .extra("ClientComputedContentSHA256", hex::encode(expected))
                .extra("S3ComputedContentSHA256", hex::encode(got)));
        }
    }
    if let Some((h, expectation)) = st.checksum.take() {
        let alg = expectation.algorithm();
        let got = h.finalize_base64();
        let wanted = match &expectation {
            ChecksumExpectation::Header(_, v) => Some(v.clone()),
            ChecksumExpectation::Trailer(_) => {
                let name = alg.header_name();
                let v = trailers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.trim().to_string())
                    .ok_or_else(|| {
                        S3Error::with_message(
                            S3ErrorCode::InvalidRequest,
                            format!("The {name} trailer was announced but not sent."),
                        )
                    })?;
                validate_checksum_value(alg, &v)?;
                Some(v)
            }
            ChecksumExpectation::Compute(_) => None,
        };
        if let Some(w) = wanted {
            if w != got {
                return Err(S3Error::with_message(
                    S3ErrorCode::BadDigest,
                    format!(
                        "The {} you specified did not match the calculated checksum.",
                        alg.as_str()
                    ),
                ));
            }
        }
        if let Ok(mut c) = st.cell.lock() {
            *c = Some(Checksum {
                algorithm: alg,
                value: got,
                kind: ChecksumType::FullObject,
            });
        }
    }
    Ok(())
}

/// Turns an engine body error back into the S3 error it carried.
pub fn body_error(e: BoxError) -> S3Error {
    match e.downcast::<S3Error>() {
        Ok(s3) => *s3,
        Err(other) => {
            tracing::debug!(error = %other, "request body failed");
            S3Error::new(S3ErrorCode::IncompleteBody)
        }
    }
}

/// Reads a small request body (XML documents) completely, with a size cap.
/// The body's checksum headers (Content-MD5 included) are verified.
pub async fn read_small(
    incoming: Incoming,
    payload: &PayloadMode,
    headers: &http::HeaderMap,
    limit: usize,
) -> Result<Bytes, S3Error> {
    read_document(incoming, payload, headers, limit, true).await
}

/// As [`read_small`]; with `body_checksums` false, `x-amz-checksum-*`
/// headers are left alone because they describe something else (the whole
/// object, for CompleteMultipartUpload). Content-MD5 is always verified.
pub async fn read_document(
    incoming: Incoming,
    payload: &PayloadMode,
    headers: &http::HeaderMap,
    limit: usize,
    body_checksums: bool,
) -> Result<Bytes, S3Error> {
    let expectation = if body_checksums {
        checksum_expectation(headers, None)?
    } else {
        None
    };
    let content_md5 = crate::s3::headers::content_md5(headers)?;
    let (mut s, _) = request_stream(incoming, payload, expectation, None);
    let mut buf = bytes::BytesMut::new();
    while let Some(chunk) = s.next().await {
        let chunk = chunk.map_err(body_error)?;
        if buf.len() + chunk.len() > limit {
            return Err(S3Error::with_message(
                S3ErrorCode::MalformedXML,
                "The XML you provided was too large.",
            ));
        }
        buf.extend_from_slice(&chunk);
    }
    if let Some(expected) = content_md5 {
        use md5::{Digest, Md5};
        let got: [u8; 16] = Md5::digest(&buf).into();
        if got != expected {
            return Err(S3Error::new(S3ErrorCode::BadDigest));
        }
    }
    Ok(buf.freeze())
}
