//! ListObjects (v1) and ListObjectsV2.

use crate::context::ReqCtx;
use crate::response::{self, HandlerResult};
use crate::Gateway;
use base64::Engine as _;
use tessera_s3_protocol::fmt::{iso8601_millis, quote_etag, url_encode_key};
use tessera_s3_protocol::xml::{self, to_xml};
use tessera_s3_protocol::{S3Error, S3ErrorCode};
use tessera_types::meta::{ListEntry, ListObjectsQuery};

/// Parses `max-keys`-style parameters: default 1000, capped at 1000.
pub(crate) fn max_param(ctx: &ReqCtx, name: &str) -> Result<u32, S3Error> {
    match ctx.query(name) {
        None => Ok(1000),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(|n| n.min(1000) as u32)
            .ok_or_else(|| {
                S3Error::with_message(
                    S3ErrorCode::InvalidArgument,
                    format!("Provided {name} not an integer or within integer range"),
                )
                .extra("ArgumentName", name)
                .extra("ArgumentValue", v)
            }),
    }
}

/// Whether `encoding-type=url` was asked for (any other value is an error).
pub(crate) fn url_encoding(ctx: &ReqCtx) -> Result<bool, S3Error> {
    match ctx.query("encoding-type") {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("url") => Ok(true),
        Some(v) => Err(S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            "Invalid Encoding Method specified in Request",
        )
        .extra("ArgumentName", "encoding-type")
        .extra("ArgumentValue", v)),
    }
}

fn encode_token(key: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.as_bytes())
}

fn decode_token(token: &str) -> Result<String, S3Error> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.as_bytes())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            S3Error::with_message(
                S3ErrorCode::InvalidArgument,
                "The continuation token provided is incorrect",
            )
            .extra("ArgumentName", "continuation-token")
        })
}

pub(crate) async fn list_objects(gw: &Gateway, ctx: &ReqCtx, v2: bool) -> HandlerResult {
    super::authorize_bucket(gw, &ctx.principal, ctx.bucket()).await?;
    let max_keys = max_param(ctx, "max-keys")?;
    let url = url_encoding(ctx)?;
    let prefix = ctx.query("prefix").unwrap_or_default().to_string();
    let delimiter = ctx
        .query("delimiter")
        .filter(|d| !d.is_empty())
        .map(str::to_string);
    let token = ctx.query("continuation-token");
    let start_after = ctx.query("start-after").filter(|s| !s.is_empty());
    let marker = ctx.query("marker").filter(|s| !s.is_empty());
    let start = if v2 {
        match token {
            Some(t) => Some(decode_token(t)?),
            None => start_after.map(str::to_string),
        }
    } else {
        marker.map(str::to_string)
    };
    let page = gw
        .engine
        .meta()
        .list_objects(ListObjectsQuery {
            bucket: ctx.bucket().to_string(),
            prefix: prefix.clone(),
            delimiter: delimiter.clone(),
            start_after: start,
            max_keys,
        })
        .await?;

    let enc = |s: &str| {
        if url {
            url_encode_key(s)
        } else {
            s.to_string()
        }
    };
    let fetch_owner = !v2 || ctx.query("fetch-owner").is_some_and(|v| v == "true");
    let last = page.entries.last().map(|e| match e {
        ListEntry::Object { key, .. } => key.clone(),
        ListEntry::CommonPrefix(p) => p.clone(),
    });
    let mut contents = Vec::new();
    let mut common_prefixes = Vec::new();
    for e in page.entries {
        match e {
            ListEntry::Object { key, summary } => contents.push(xml::Object {
                checksum_type: summary
                    .checksum_algorithm
                    .map(|_| "FULL_OBJECT".to_string()),
                key: enc(&key),
                last_modified: iso8601_millis(summary.last_modified),
                etag: quote_etag(&summary.etag),
                size: summary.size,
                storage_class: summary.storage_class.as_str().to_string(),
                checksum_algorithm: summary.checksum_algorithm.map(|a| a.as_str().to_string()),
                owner: fetch_owner.then(|| xml::Owner {
                    id: summary.owner.clone(),
                    display_name: summary.owner,
                }),
            }),
            ListEntry::CommonPrefix(p) => common_prefixes.push(xml::CommonPrefix::new(enc(&p))),
        }
    }
    let key_count = (contents.len() + common_prefixes.len()) as u32;
    let doc = if v2 {
        to_xml(&xml::ListBucketResultV2 {
            name: ctx.bucket().to_string(),
            prefix: enc(&prefix),
            delimiter: delimiter.as_deref().map(enc),
            max_keys,
            key_count,
            is_truncated: page.is_truncated,
            continuation_token: token.map(str::to_string),
            next_continuation_token: if page.is_truncated {
                last.as_deref().map(encode_token)
            } else {
                None
            },
            start_after: start_after.map(enc),
            encoding_type: url.then(|| "url".to_string()),
            contents,
            common_prefixes,
        })
    } else {
        to_xml(&xml::ListBucketResult {
            name: ctx.bucket().to_string(),
            prefix: enc(&prefix),
            marker: enc(marker.unwrap_or_default()),
            next_marker: if page.is_truncated && delimiter.is_some() {
                last.as_deref().map(enc)
            } else {
                None
            },
            delimiter: delimiter.as_deref().map(enc),
            max_keys,
            is_truncated: page.is_truncated,
            encoding_type: url.then(|| "url".to_string()),
            contents,
            common_prefixes,
        })
    };
    Ok(response::xml(doc))
}
