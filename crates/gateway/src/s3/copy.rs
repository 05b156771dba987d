//! CopyObject, and the copy-source handling shared with UploadPartCopy.

use super::headers;
use crate::conditional::Conditions;
use crate::context::ReqCtx;
use crate::response::{self, set_checksum, ApiError, HandlerResult};
use crate::Gateway;
use futures::StreamExt;
use std::sync::Arc;
use tessera_engine::BodyStream;
use tessera_s3_protocol::fmt::{iso8601_millis, quote_etag};
use tessera_s3_protocol::validate::{parse_copy_source, validate_object_key};
use tessera_s3_protocol::xml::{self, to_xml};
use tessera_s3_protocol::{S3Error, S3ErrorCode};
use tessera_types::{now_millis, ChecksumType, ObjectRecord};

/// The object named by `x-amz-copy-source`, after access and
/// `x-amz-copy-source-if-*` checks.
pub(crate) struct Source {
    pub bucket: String,
    pub key: String,
    pub object: ObjectRecord,
}

pub(crate) async fn load_source(gw: &Gateway, ctx: &ReqCtx) -> Result<Source, ApiError> {
    let header = ctx.header("x-amz-copy-source").ok_or_else(|| {
        S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
        )
    })?;
    let (bucket, key) = parse_copy_source(header)?;
    super::authorize(gw, ctx, &bucket, Some(&key), "s3:GetObject").await?;
    let object = gw
        .engine
        .meta()
        .get_object(&bucket, &key)
        .await?
        .ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchKey).extra("Key", key.clone()))?;
    Conditions::from_headers(&ctx.parts.headers, "x-amz-copy-source-if-").check(
        &object.etag,
        object.last_modified,
        S3ErrorCode::PreconditionFailed,
    )?;
    Ok(Source {
        bucket,
        key,
        object,
    })
}

/// The source's bytes in `range`, as a body for the engine.
pub(crate) fn source_body(
    gw: &Arc<Gateway>,
    obj: &ObjectRecord,
    range: std::ops::Range<u64>,
) -> BodyStream {
    gw.engine
        .read(&obj.segments, range)
        .map(|r| r.map_err(|e| Box::new(response::engine_error(e)) as tessera_engine::BodyError))
        .boxed()
}

pub(crate) async fn copy_object(gw: &Arc<Gateway>, ctx: &ReqCtx) -> HandlerResult {
    validate_object_key(ctx.key())?;
    let dest = super::authorize_bucket(gw, ctx).await?;
    let src = load_source(gw, ctx).await?;
    let h = &ctx.parts.headers;
    headers::reject_unsupported(h)?;
    // The copy gets the ACL the request asks for, not the source's.
    let acl = super::acl::object_acl(gw, ctx, &dest).await?;
    let replace = match ctx.header("x-amz-metadata-directive") {
        None => false,
        Some(v) if v.eq_ignore_ascii_case("COPY") => false,
        Some(v) if v.eq_ignore_ascii_case("REPLACE") => true,
        Some(v) => {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidArgument,
                "Unknown metadata directive.",
            )
            .extra("ArgumentName", "x-amz-metadata-directive")
            .extra("ArgumentValue", v)
            .into())
        }
    };
    let class = if h.contains_key("x-amz-storage-class") {
        headers::storage_class(h)?
    } else {
        src.object.storage_class
    };
    let same = src.bucket == ctx.bucket() && src.key == ctx.key();
    if same && !replace && class == src.object.storage_class {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidRequest,
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        )
        .into());
    }
    let (content, user_meta) = if replace {
        (headers::content_headers(h), headers::user_metadata(h)?)
    } else {
        (src.object.content.clone(), src.object.user_meta.clone())
    };
    let precondition = super::put::write_precondition(ctx)?;

    let data = gw
        .engine
        .write_data(
            class,
            source_body(gw, &src.object, 0..src.object.size),
            u64::MAX,
        )
        .await?;
    // The bytes are the same, so a whole-object checksum still holds; a
    // composite one describes the source's parts, which the copy does not have.
    let checksum = src
        .object
        .checksum
        .clone()
        .filter(|c| c.kind == ChecksumType::FullObject);
    let object = ObjectRecord {
        size: data.size,
        etag: hex::encode(data.md5),
        last_modified: now_millis(),
        owner: dest.owner,
        storage_class: class,
        content,
        user_meta,
        checksum: checksum.clone(),
        parts: Vec::new(),
        segments: data.segments.clone(),
        upload_id: None,
        acl,
        replication_status: None,
    };
    let (etag, modified) = (object.etag.clone(), object.last_modified);
    if let Err(e) = gw
        .engine
        .meta()
        .put_object_as(
            ctx.bucket(),
            ctx.key(),
            object,
            precondition,
            tessera_types::events::EventName::ObjectCreatedCopy,
        )
        .await
    {
        gw.engine.discard_uncommitted(&data.segments, &e).await;
        return Err(e.into());
    }
    let mut result = xml::CopyObjectResult {
        etag: quote_etag(&etag),
        last_modified: iso8601_millis(modified),
        ..Default::default()
    };
    if let Some(c) = &checksum {
        set_checksum!(result, c.algorithm, c.value.clone());
        result.checksum_type = Some(c.kind.as_str().to_string());
    }
    Ok(response::xml(to_xml(&result)))
}
