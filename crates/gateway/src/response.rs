//! Building responses: XML documents, S3 errors, and the mapping from engine
//! errors to S3 errors (internal details are logged, never sent).

use crate::body::{self, Body};
use http::{HeaderValue, Response, StatusCode};
use tessera_engine::Error as EngineError;
use tessera_s3_protocol::{S3Error, S3ErrorCode};
use tessera_types::meta::MetaError;

pub type HttpResponse = Response<Body>;

/// A 200 response with an XML document.
pub fn xml(doc: String) -> HttpResponse {
    xml_status(StatusCode::OK, doc)
}

pub fn xml_status(status: StatusCode, doc: String) -> HttpResponse {
    let mut r = Response::new(body::full(doc));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    r
}

/// The last step of every S3 and website answer: the request id and server
/// headers, the metrics, and a debug line in the request's span.
pub fn finish(
    gw: &crate::Gateway,
    mut resp: HttpResponse,
    op: &'static str,
    request_id: &str,
    started: std::time::Instant,
    span: &tracing::Span,
) -> HttpResponse {
    set_header(&mut resp, "x-amz-request-id", request_id);
    set_header(&mut resp, "x-amz-id-2", request_id);
    set_header(&mut resp, "server", "Tessera");
    let status = resp.status().as_u16();
    gw.metrics
        .observe(op, status, started.elapsed().as_secs_f64());
    let _g = span.enter();
    tracing::debug!(
        status,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "done"
    );
    resp
}

/// A 200 response with a JSON document.
pub fn json(doc: String) -> HttpResponse {
    let mut r = Response::new(body::full(doc));
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

pub fn status(status: StatusCode) -> HttpResponse {
    let mut r = Response::new(body::empty());
    *r.status_mut() = status;
    r
}

/// Adds a header if the value is a valid header value (it always is for the
/// values Tessera produces; anything else is skipped, not a panic).
pub fn set_header(r: &mut HttpResponse, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        r.headers_mut().insert(name, v);
    }
}

/// The S3 XML error response (no body for HEAD requests).
pub fn error(err: &S3Error, request_id: &str, head: bool) -> HttpResponse {
    let mut r = if head || err.code == S3ErrorCode::NotModified {
        status(err.status())
    } else {
        xml_status(err.status(), err.to_xml(request_id))
    };
    if head {
        // HEAD errors carry no body; clients read the code from the status.
        r.headers_mut().remove(http::header::CONTENT_TYPE);
    }
    r
}

/// Maps an engine error to what the client sees.
pub fn engine_error(e: EngineError) -> S3Error {
    match e {
        EngineError::Body(b) => body::body_error(b),
        EngineError::Meta(m) => meta_error(m),
        EngineError::TooLarge => S3Error::new(S3ErrorCode::EntityTooLarge),
        EngineError::Unavailable(detail) => {
            tracing::warn!(%detail, "cluster unavailable");
            S3Error::new(S3ErrorCode::ServiceUnavailable)
        }
        EngineError::DataLoss(detail) => {
            tracing::error!(%detail, "object data unreadable");
            S3Error::new(S3ErrorCode::InternalError)
        }
        EngineError::Config(detail) | EngineError::Internal(detail) => {
            tracing::error!(%detail, "internal error");
            S3Error::new(S3ErrorCode::InternalError)
        }
    }
}

pub fn meta_error(e: MetaError) -> S3Error {
    match e {
        MetaError::NoSuchBucket => S3ErrorCode::NoSuchBucket.into(),
        MetaError::BucketAlreadyExists => S3ErrorCode::BucketAlreadyExists.into(),
        MetaError::BucketAlreadyOwnedByYou => S3ErrorCode::BucketAlreadyOwnedByYou.into(),
        MetaError::BucketNotEmpty => S3ErrorCode::BucketNotEmpty.into(),
        MetaError::NoSuchUpload => S3ErrorCode::NoSuchUpload.into(),
        MetaError::NoSuchKey => S3ErrorCode::NoSuchKey.into(),
        MetaError::NoSuchTopic(t) => S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            "Unable to validate the following destination configurations",
        )
        .extra("ArgumentName", t),
        MetaError::InvalidPart(n) => {
            S3Error::new(S3ErrorCode::InvalidPart).extra("PartNumber", n.to_string())
        }
        MetaError::PreconditionFailed => S3Error::new(S3ErrorCode::PreconditionFailed),
        MetaError::AccessKeyExists
        | MetaError::NoSuchAccessKey
        | MetaError::Invalid(_)
        | MetaError::NoSuchBlock
        | MetaError::BlockMismatch(_)
        | MetaError::NoSuchNode
        | MetaError::TopicExists
        | MetaError::RemoteExists(_)
        | MetaError::NoSuchRemote(_) => {
            tracing::error!(error = %e, "unexpected metadata outcome");
            S3ErrorCode::InternalError.into()
        }
    }
}

/// A handler's failure: always an S3 error by the time it is answered.
/// Converts from engine and meta-client errors so handlers can use `?`.
pub struct ApiError(pub S3Error);

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        ApiError(engine_error(e))
    }
}

impl From<S3Error> for ApiError {
    fn from(e: S3Error) -> Self {
        ApiError(e)
    }
}

impl From<tessera_engine::MetaClientError> for ApiError {
    fn from(e: tessera_engine::MetaClientError) -> Self {
        ApiError(engine_error(e.into()))
    }
}

/// Sets the `Checksum<ALG>` field of an XML document that has the five
/// checksum fields (`checksum_crc32`, `checksum_crc32c`, ...).
macro_rules! set_checksum {
    ($doc:expr, $alg:expr, $value:expr) => {{
        use tessera_types::ChecksumAlgorithm as A;
        let v = Some($value);
        match $alg {
            A::Crc32 => $doc.checksum_crc32 = v,
            A::Crc32c => $doc.checksum_crc32c = v,
            A::Crc64Nvme => $doc.checksum_crc64nvme = v,
            A::Sha1 => $doc.checksum_sha1 = v,
            A::Sha256 => $doc.checksum_sha256 = v,
        }
    }};
}
pub(crate) use set_checksum;

/// The result type of every handler.
pub type HandlerResult = Result<HttpResponse, ApiError>;
