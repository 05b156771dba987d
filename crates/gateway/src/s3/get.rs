//! GetObject and HeadObject: ranges, part numbers, conditions, response
//! header overrides and checksums.

use super::headers::{checksum_headers, object_headers};
use crate::body;
use crate::conditional::Conditions;
use crate::context::ReqCtx;
use crate::response::{self, HandlerResult, HttpResponse};
use crate::Gateway;
use http::StatusCode;
use std::sync::Arc;
use tessera_s3_protocol::fmt::{http_date, quote_etag};
use tessera_s3_protocol::range::parse_range;
use tessera_s3_protocol::{S3Error, S3ErrorCode};
use tessera_types::ObjectRecord;

/// `response-*` query parameters and the header each overrides.
const OVERRIDES: [(&str, &str); 6] = [
    ("response-content-type", "content-type"),
    ("response-content-language", "content-language"),
    ("response-expires", "expires"),
    ("response-cache-control", "cache-control"),
    ("response-content-disposition", "content-disposition"),
    ("response-content-encoding", "content-encoding"),
];

pub(crate) async fn get_object(gw: &Arc<Gateway>, ctx: &ReqCtx, head: bool) -> HandlerResult {
    let bucket = super::authorize_bucket(gw, ctx).await?;
    let Some(obj) = gw.engine.meta().get_object(ctx.bucket(), ctx.key()).await? else {
        // As in S3: who may not list the bucket does not learn which keys
        // exist.
        if !super::may(ctx, &bucket, "s3:ListBucket", None) {
            return Err(S3Error::new(S3ErrorCode::AccessDenied).into());
        }
        return Err(S3Error::new(S3ErrorCode::NoSuchKey)
            .resource(format!("/{}/{}", ctx.bucket(), ctx.key()))
            .extra("Key", ctx.key())
            .into());
    };

    let part_number = ctx
        .query("partNumber")
        .map(super::multipart::parse_part_number)
        .transpose()?;
    let mut r = object_response(gw, &obj, &ctx.parts.headers, part_number, head)?;
    if r.status() == StatusCode::NOT_MODIFIED {
        return Ok(r);
    }
    let partial = r.status() == StatusCode::PARTIAL_CONTENT;
    if let Some(n) = part_number {
        if let Some(p) = obj.parts.iter().find(|p| p.number == n) {
            checksum_mode(ctx).then(|| checksum_headers(&mut r, p.checksum.as_ref()));
        }
    } else if !partial && checksum_mode(ctx) {
        checksum_headers(&mut r, obj.checksum.as_ref());
    }
    for (param, header) in OVERRIDES {
        if let Some(v) = ctx.query(param) {
            response::set_header(&mut r, header, v);
        }
    }
    Ok(r)
}

/// The answer to a GET (or HEAD, `head`) of `obj` under the request's
/// conditional headers (304 / 412) and `Range` (206 / 416), or of part
/// `part_number`: status, object headers, Content-Length and
/// Content-Range, and the data streamed from the engine. Shared by
/// GetObject and the website endpoint.
pub(crate) fn object_response(
    gw: &Gateway,
    obj: &ObjectRecord,
    headers: &http::HeaderMap,
    part_number: Option<u32>,
    head: bool,
) -> Result<HttpResponse, S3Error> {
    if let Err(e) = Conditions::from_headers(headers, "if-").check(
        &obj.etag,
        obj.last_modified,
        S3ErrorCode::NotModified,
    ) {
        if e.code != S3ErrorCode::NotModified {
            return Err(e);
        }
        // 304 is not an error document: like a 200 it names the version
        // the client already has (RFC 9110 15.4.5), with no body.
        let mut r = response::status(StatusCode::NOT_MODIFIED);
        response::set_header(&mut r, "etag", &quote_etag(&obj.etag));
        response::set_header(&mut r, "last-modified", &http_date(obj.last_modified));
        return Ok(r);
    }
    let range_header = headers.get("range").and_then(|v| v.to_str().ok());
    if part_number.is_some() && range_header.is_some() {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidRequest,
            "Cannot specify both Range header and partNumber query parameter",
        ));
    }

    // The byte range to send, and whether it is the whole object.
    let (range, partial) = if let Some(n) = part_number {
        part_range(obj, n)?
    } else if let Some(h) = range_header {
        match parse_range(h, obj.size)? {
            Some(r) => (*r.start()..*r.end() + 1, true),
            None => (0..obj.size, false),
        }
    } else {
        (0..obj.size, false)
    };

    let len = range.end - range.start;
    let data = if head || len == 0 {
        body::empty()
    } else {
        body::stream(gw.engine.read(&obj.segments, range.clone()))
    };
    let mut r = http::Response::new(data);
    *r.status_mut() = if partial {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    object_headers(&mut r, obj);
    response::set_header(&mut r, "content-length", &len.to_string());
    if partial {
        let end = if len == 0 { range.start } else { range.end - 1 };
        response::set_header(
            &mut r,
            "content-range",
            &format!("bytes {}-{}/{}", range.start, end, obj.size),
        );
    }
    Ok(r)
}

fn checksum_mode(ctx: &ReqCtx) -> bool {
    ctx.header("x-amz-checksum-mode")
        .is_some_and(|v| v.eq_ignore_ascii_case("ENABLED"))
}

/// The byte range of part `n` (an object that was not uploaded in parts has
/// one part: itself).
fn part_range(obj: &ObjectRecord, n: u32) -> Result<(std::ops::Range<u64>, bool), S3Error> {
    let not_satisfiable = || {
        S3Error::with_message(
            S3ErrorCode::InvalidPartNumber,
            "The requested partnumber is not satisfiable",
        )
    };
    if obj.parts.is_empty() {
        return if n == 1 {
            Ok((0..obj.size, false))
        } else {
            Err(not_satisfiable())
        };
    }
    let mut start = 0;
    for p in &obj.parts {
        if p.number == n {
            return Ok((start..start + p.size, true));
        }
        start += p.size;
    }
    Err(not_satisfiable())
}
