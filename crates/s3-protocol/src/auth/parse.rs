//! Parsing SigV4 credentials from the Authorization header or from the
//! query string of a presigned URL. No cryptography here.

use http::request::Parts;
use percent_encoding::percent_decode_str;
use time::OffsetDateTime;

use super::signing::{format_amz_date, parse_amz_date, ALGORITHM, TERMINATOR};
use super::{RequestAuth, V4Auth, MAX_PRESIGNED_EXPIRES};
use crate::error::{S3Error, S3ErrorCode};

/// Parses authentication from the Authorization header
/// (`AWS4-HMAC-SHA256 Credential=.., SignedHeaders=.., Signature=..`) or from
/// a presigned query (`X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`,
/// `X-Amz-Expires`, `X-Amz-SignedHeaders`, `X-Amz-Signature`).
///
/// No header and no query authentication gives `Anonymous`. A malformed
/// header is `AuthorizationHeaderMalformed`, a malformed query
/// `AuthorizationQueryParametersError`; SigV2 and SigV4A are
/// `InvalidRequest`.
pub fn parse_auth(parts: &Parts) -> Result<RequestAuth, S3Error> {
    let header = match parts.headers.get(http::header::AUTHORIZATION) {
        Some(v) => Some(
            v.to_str()
                .map_err(|_| header_malformed("it is not ASCII"))?,
        ),
        None => None,
    };
    let query = query_pairs(parts.uri.query());
    let has_query_v4 = query.iter().any(|(k, _)| k == "X-Amz-Algorithm");
    let has_query_v2 = query.iter().any(|(k, _)| k == "AWSAccessKeyId")
        && query.iter().any(|(k, _)| k == "Signature");
    match header {
        Some(_) if has_query_v4 || has_query_v2 => Err(S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, \
             Signature query string parameter or the Authorization header should be specified",
        )),
        Some(h) if h.starts_with("AWS ") => super::V2Auth::from_header(h).map(RequestAuth::V2),
        Some(h) => parse_header(h, parts).map(RequestAuth::V4),
        None if has_query_v4 => parse_query(&query).map(RequestAuth::V4),
        None if has_query_v2 => super::V2Auth::from_query(&query).map(RequestAuth::V2),
        None => Ok(RequestAuth::Anonymous),
    }
}

/// Decodes the query string into (name, value) pairs.
fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    let Some(q) = query else { return Vec::new() };
    q.split('&')
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (
                percent_decode_str(k).decode_utf8_lossy().into_owned(),
                percent_decode_str(v).decode_utf8_lossy().into_owned(),
            )
        })
        .collect()
}

fn header_malformed(why: &str) -> S3Error {
    S3Error::with_message(
        S3ErrorCode::AuthorizationHeaderMalformed,
        format!("The authorization header is malformed; {why}."),
    )
}

fn query_error(msg: &str) -> S3Error {
    S3Error::with_message(S3ErrorCode::AuthorizationQueryParametersError, msg)
}

/// The parts of `AKID/YYYYMMDD/region/service/aws4_request`.
struct Credential {
    access_key_id: String,
    date: String,
    region: String,
    service: String,
}

fn parse_credential(s: &str) -> Result<Credential, &'static str> {
    let mut it = s.rsplitn(5, '/');
    let (Some(term), Some(service), Some(region), Some(date), Some(akid)) =
        (it.next(), it.next(), it.next(), it.next(), it.next())
    else {
        return Err("the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"");
    };
    if term != TERMINATOR {
        return Err("incorrect terminal in the Credential; expecting \"aws4_request\"");
    }
    if akid.is_empty() || region.is_empty() || service.is_empty() {
        return Err("the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"");
    }
    if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return Err("invalid date in the Credential; expecting YYYYMMDD");
    }
    Ok(Credential {
        access_key_id: akid.to_string(),
        date: date.to_string(),
        region: region.to_string(),
        service: service.to_string(),
    })
}

fn parse_signed_headers(s: &str) -> Option<Vec<String>> {
    let names: Vec<String> = s
        .split(';')
        .map(|n| n.trim().to_ascii_lowercase())
        .collect();
    let valid = |n: &String| {
        !n.is_empty()
            && n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.!#$%&'*+^`|~".contains(&b))
    };
    names.iter().all(valid).then_some(names)
}

fn parse_signature(s: &str) -> Option<String> {
    (s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())).then(|| s.to_ascii_lowercase())
}

fn parse_header(value: &str, parts: &Parts) -> Result<V4Auth, S3Error> {
    let value = value.trim();
    let (alg, rest) = value.split_once(' ').unwrap_or((value, ""));
    if alg == "AWS4-ECDSA-P256-SHA256" {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidRequest,
            "Tessera does not support SigV4A (AWS4-ECDSA-P256-SHA256); use AWS4-HMAC-SHA256.",
        ));
    }
    if alg != ALGORITHM {
        return Err(header_malformed(
            "the authorization mechanism is not supported, expecting \"AWS4-HMAC-SHA256\"",
        ));
    }
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for component in rest.split(',') {
        let component = component.trim();
        if component.is_empty() {
            continue;
        }
        let Some((k, v)) = component.split_once('=') else {
            return Err(header_malformed(
                "a component is not of the form Name=Value",
            ));
        };
        match k.trim() {
            "Credential" => credential = Some(v.trim()),
            "SignedHeaders" => signed = Some(v.trim()),
            "Signature" => signature = Some(v.trim()),
            _ => return Err(header_malformed("it has an unknown component")),
        }
    }
    let (Some(credential), Some(signed), Some(signature)) = (credential, signed, signature) else {
        return Err(header_malformed(
            "it must contain Credential, SignedHeaders and Signature",
        ));
    };
    let cred = parse_credential(credential).map_err(header_malformed)?;
    let signed_headers =
        parse_signed_headers(signed).ok_or_else(|| header_malformed("SignedHeaders is invalid"))?;
    let signature = parse_signature(signature)
        .ok_or_else(|| header_malformed("the Signature is not 64 hex digits"))?;
    let time = header_date(parts)?;
    let amz_date = format_amz_date(time);
    let day = amz_date.get(..8).unwrap_or_default();
    if day != cred.date {
        return Err(header_malformed(&format!(
            "Invalid credential date \"{}\". This date is not the same as X-Amz-Date: \"{day}\"",
            cred.date
        )));
    }
    Ok(V4Auth {
        access_key_id: cred.access_key_id,
        date: cred.date,
        region: cred.region,
        service: cred.service,
        signed_headers,
        signature,
        presigned: false,
        amz_date,
        time,
        expires: None,
    })
}

/// The request time of a header-signed request: `x-amz-date`, else `Date`
/// in any HTTP date form or RFC 2822 with a numeric zone (see
/// [`crate::fmt::parse_date_header`]; botocore sends the latter when the
/// caller sets `Date`).
fn header_date(parts: &Parts) -> Result<OffsetDateTime, S3Error> {
    let denied = || {
        S3Error::with_message(
            S3ErrorCode::AccessDenied,
            "AWS authentication requires a valid Date or x-amz-date header",
        )
    };
    if let Some(v) = parts.headers.get("x-amz-date") {
        let s = v.to_str().map_err(|_| denied())?;
        return parse_amz_date(s.trim()).ok_or_else(denied);
    }
    let v = parts.headers.get(http::header::DATE).ok_or_else(denied)?;
    let s = v.to_str().map_err(|_| denied())?;
    let ms = crate::fmt::parse_date_header(s).ok_or_else(denied)?;
    OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).map_err(|_| denied())
}

fn parse_query(query: &[(String, String)]) -> Result<V4Auth, S3Error> {
    let get = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let (Some(alg), Some(credential), Some(date), Some(expires), Some(signed), Some(signature)) = (
        get("X-Amz-Algorithm"),
        get("X-Amz-Credential"),
        get("X-Amz-Date"),
        get("X-Amz-Expires"),
        get("X-Amz-SignedHeaders"),
        get("X-Amz-Signature"),
    ) else {
        return Err(query_error(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, \
             X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
        ));
    };
    if alg != ALGORITHM {
        return Err(query_error(
            "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"",
        ));
    }
    let cred = parse_credential(credential).map_err(|why| {
        query_error(&format!(
            "Error parsing the X-Amz-Credential parameter; {why}"
        ))
    })?;
    let time = parse_amz_date(date).ok_or_else(|| {
        query_error("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
    })?;
    let day = date.get(..8).unwrap_or_default();
    if day != cred.date {
        return Err(query_error(&format!(
            "Invalid credential date \"{}\". This date is not the same as X-Amz-Date: \"{day}\"",
            cred.date
        )));
    }
    let expires: u64 = expires
        .parse()
        .map_err(|_| query_error("X-Amz-Expires should be a number"))?;
    if expires == 0 || expires > MAX_PRESIGNED_EXPIRES {
        return Err(query_error(
            "X-Amz-Expires must be between 1 and 604800 seconds (one week)",
        ));
    }
    let signed_headers = parse_signed_headers(signed)
        .ok_or_else(|| query_error("X-Amz-SignedHeaders is invalid"))?;
    let signature = parse_signature(signature)
        .ok_or_else(|| query_error("X-Amz-Signature is not 64 hex digits"))?;
    Ok(V4Auth {
        access_key_id: cred.access_key_id,
        date: cred.date,
        region: cred.region,
        service: cred.service,
        signed_headers,
        signature,
        presigned: true,
        amz_date: date.to_string(),
        time,
        expires: Some(expires),
    })
}
