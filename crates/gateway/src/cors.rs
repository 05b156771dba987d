//! CORS, as S3 applies a bucket's `CORSConfiguration`:
//!
//! - a preflight (`OPTIONS` on a bucket or object, unsigned) needs `Origin`
//!   and `Access-Control-Request-Method` (400 BadRequest otherwise); the
//!   first rule matching the origin, the method and every header of
//!   `Access-Control-Request-Headers` answers it (200 with the
//!   `Access-Control-*` headers); no rule or no configuration is 403
//!   AccessForbidden;
//! - any other response (errors included) to a request carrying `Origin`
//!   gets the `Access-Control-*` headers of the first rule matching the
//!   origin and the request's method, if one does.

use crate::context::ReqCtx;
use crate::response::{self, HandlerResult, HttpResponse};
use crate::Gateway;
use http::StatusCode;
use tessera_s3_protocol::xml::{from_xml, CorsConfiguration, CorsRule};
use tessera_s3_protocol::{S3Error, S3ErrorCode};
use tessera_types::BucketRecord;

/// What S3 varies CORS answers on.
const VARY: &str = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";

fn bad_request(message: &str) -> S3Error {
    S3Error::with_message(S3ErrorCode::BadRequest, message)
}

/// The bucket's CORS rules, if it has any that parse.
fn rules(record: &BucketRecord) -> Option<CorsConfiguration> {
    let doc = record.cors.as_deref()?;
    match from_xml::<CorsConfiguration>(doc.as_bytes()) {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::warn!(bucket = %record.name, error = %e, "stored CORS configuration does not parse");
            None
        }
    }
}

/// Answers a preflight request.
pub(crate) async fn preflight(gw: &Gateway, ctx: &ReqCtx) -> HandlerResult {
    let origin = ctx
        .header("origin")
        .ok_or_else(|| bad_request("Insufficient information. Origin request header needed."))?;
    let method = ctx
        .header("access-control-request-method")
        .ok_or_else(|| bad_request("Invalid Access-Control-Request-Method: null"))?;
    let resource_type = if ctx.route.key.is_some() {
        "OBJECT"
    } else {
        "BUCKET"
    };
    let forbidden = |message: &str| {
        S3Error::with_message(S3ErrorCode::AccessForbidden, message)
            .extra("Method", method)
            .extra("ResourceType", resource_type)
    };
    let record = match ctx.route.bucket.as_deref() {
        None => None,
        Some(b) => gw.engine.meta().get_bucket(b).await?,
    };
    let Some(record) = record else {
        return Err(forbidden("CORSResponse: Bucket not found").into());
    };
    let Some(config) = rules(&record) else {
        return Err(forbidden("CORSResponse: CORS is not enabled for this bucket.").into());
    };
    let requested: Vec<String> = ctx
        .header("access-control-request-headers")
        .unwrap_or_default()
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect();
    let names: Vec<&str> = requested.iter().map(String::as_str).collect();
    let Some(rule) = config.find_rule(origin, method, &names) else {
        tracing::debug!(origin, method, headers = ?names, "CORS preflight refused");
        return Err(forbidden(S3ErrorCode::AccessForbidden.default_message()).into());
    };
    let mut r = response::status(StatusCode::OK);
    allow(&mut r, rule, origin);
    if !requested.is_empty() {
        response::set_header(
            &mut r,
            "access-control-allow-headers",
            &requested.join(", "),
        );
    }
    Ok(r)
}

/// The headers every CORS answer of `rule` carries.
fn allow(r: &mut HttpResponse, rule: &CorsRule, origin: &str) {
    let any = rule.any_origin();
    response::set_header(
        r,
        "access-control-allow-origin",
        if any { "*" } else { origin },
    );
    response::set_header(
        r,
        "access-control-allow-methods",
        &rule.allowed_methods.join(", "),
    );
    if !rule.expose_headers.is_empty() {
        response::set_header(
            r,
            "access-control-expose-headers",
            &rule.expose_headers.join(", "),
        );
    }
    if let Some(age) = rule.max_age_seconds {
        response::set_header(r, "access-control-max-age", &age.to_string());
    }
    if !any {
        response::set_header(r, "access-control-allow-credentials", "true");
    }
    response::set_header(r, "vary", VARY);
}

/// Adds the `Access-Control-*` headers to the response of an actual
/// (non-preflight) request that carried `Origin`. `record` is the bucket
/// as the handler loaded it; without it, the bucket is read once.
pub(crate) async fn decorate(
    gw: &Gateway,
    resp: &mut HttpResponse,
    bucket: &str,
    record: Option<BucketRecord>,
    origin: &str,
    method: &http::Method,
) {
    let record = match record {
        Some(r) => r,
        None => match gw.engine.meta().get_bucket(bucket).await {
            Ok(Some(r)) => r,
            Ok(None) => return,
            Err(e) => {
                tracing::debug!(bucket, error = %e, "no bucket record for the CORS headers");
                return;
            }
        },
    };
    let Some(config) = rules(&record) else {
        return;
    };
    if let Some(rule) = config.find_rule(origin, method.as_str(), &[]) {
        allow(resp, rule, origin);
    }
}
