//! ListObjects (v1), ListObjectsV2 and ListObjectVersions.

use crate::context::ReqCtx;
use crate::response::{self, ApiError, HandlerResult};
use crate::Gateway;
use base64::Engine as _;
use tessera_s3_protocol::fmt::{iso8601_millis, quote_etag, url_encode_key};
use tessera_s3_protocol::xml::{self, to_xml};
use tessera_s3_protocol::{S3Error, S3ErrorCode};
use tessera_types::meta::{ListEntry, ListObjectsPage, ListObjectsQuery};

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

/// An opaque continuation token for the listing position `key` (the last
/// key, prefix or bucket name returned).
pub(crate) fn encode_token(key: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.as_bytes())
}

/// The position a token of [`encode_token`] stands for (InvalidArgument if
/// it is not such a token).
pub(crate) fn decode_token(token: &str) -> Result<String, S3Error> {
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
    super::authorize_bucket(gw, ctx).await?;
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
    let page = list_page(gw, ctx, &prefix, delimiter.as_deref(), start, max_keys).await?;

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
            // AWS encodes the keys, Marker, NextMarker and Delimiter of a
            // v1 listing but not its Prefix (and clients decode only
            // those: botocore decodes Prefix for v2 only).
            prefix: prefix.clone(),
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

/// One page of the bucket's current objects. `max_keys` 0 is an empty page
/// that is not truncated, as AWS answers.
async fn list_page(
    gw: &Gateway,
    ctx: &ReqCtx,
    prefix: &str,
    delimiter: Option<&str>,
    start_after: Option<String>,
    max_keys: u32,
) -> Result<ListObjectsPage, ApiError> {
    if max_keys == 0 {
        return Ok(ListObjectsPage::default());
    }
    Ok(gw
        .engine
        .meta()
        .list_objects(ListObjectsQuery {
            bucket: ctx.bucket().to_string(),
            prefix: prefix.to_string(),
            delimiter: delimiter.map(str::to_string),
            start_after,
            max_keys,
        })
        .await?)
}

/// The version id of every object: versioning is never enabled, and AWS
/// names the version of an object written without it `null`.
const NULL_VERSION_ID: &str = "null";

/// ListObjectVersions. Versioning is never enabled, so every object has one
/// version, the current one, listed with VersionId `null`; there are no
/// delete markers.
pub(crate) async fn list_object_versions(gw: &Gateway, ctx: &ReqCtx) -> HandlerResult {
    super::authorize_bucket(gw, ctx).await?;
    let max_keys = max_param(ctx, "max-keys")?;
    let url = url_encoding(ctx)?;
    let prefix = ctx.query("prefix").unwrap_or_default().to_string();
    let delimiter = ctx.query("delimiter").filter(|d| !d.is_empty());
    let key_marker = ctx.query("key-marker").unwrap_or_default();
    let version_id_marker = ctx.query("version-id-marker").unwrap_or_default();
    if !version_id_marker.is_empty() {
        if key_marker.is_empty() {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidArgument,
                "A version-id marker cannot be specified without a key marker.",
            )
            .extra("ArgumentName", "version-id-marker")
            .extra("ArgumentValue", version_id_marker)
            .into());
        }
        if version_id_marker != NULL_VERSION_ID {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidArgument,
                "Invalid version id specified",
            )
            .extra("ArgumentName", "version-id-marker")
            .extra("ArgumentValue", version_id_marker)
            .into());
        }
    }
    // The only version of `key-marker` sorts before none other of its key,
    // so the listing resumes after the key with or without
    // `version-id-marker=null`.
    let start = (!key_marker.is_empty()).then(|| key_marker.to_string());
    let page = list_page(gw, ctx, &prefix, delimiter, start, max_keys).await?;

    let enc = |s: &str| {
        if url {
            url_encode_key(s)
        } else {
            s.to_string()
        }
    };
    let last = page.entries.last().map(|e| match e {
        ListEntry::Object { key, .. } => key.clone(),
        ListEntry::CommonPrefix(p) => p.clone(),
    });
    let mut versions = Vec::new();
    let mut common_prefixes = Vec::new();
    for e in page.entries {
        match e {
            ListEntry::Object { key, summary } => versions.push(xml::ObjectVersion {
                key: enc(&key),
                version_id: NULL_VERSION_ID.to_string(),
                is_latest: true,
                last_modified: iso8601_millis(summary.last_modified),
                etag: quote_etag(&summary.etag),
                checksum_type: summary
                    .checksum_algorithm
                    .map(|_| "FULL_OBJECT".to_string()),
                checksum_algorithm: summary.checksum_algorithm.map(|a| a.as_str().to_string()),
                size: summary.size,
                storage_class: summary.storage_class.as_str().to_string(),
                owner: xml::Owner {
                    id: summary.owner.clone(),
                    display_name: summary.owner,
                },
            }),
            ListEntry::CommonPrefix(p) => common_prefixes.push(xml::CommonPrefix::new(enc(&p))),
        }
    }
    let truncated = page.is_truncated;
    Ok(response::xml(to_xml(&xml::ListVersionsResult {
        name: ctx.bucket().to_string(),
        prefix: enc(&prefix),
        key_marker: enc(key_marker),
        version_id_marker: version_id_marker.to_string(),
        next_key_marker: if truncated {
            last.as_deref().map(enc)
        } else {
            None
        },
        next_version_id_marker: truncated.then(|| NULL_VERSION_ID.to_string()),
        max_keys,
        delimiter: delimiter.map(enc),
        is_truncated: truncated,
        encoding_type: url.then(|| "url".to_string()),
        versions,
        common_prefixes,
    })))
}
