//! PutObject, and the body ingestion shared with UploadPart.

use super::headers::{self, checksum_headers};
use super::ReqBody;
use crate::body::{checksum_expectation, request_stream};
use crate::context::ReqCtx;
use crate::response::{self, ApiError, HandlerResult};
use crate::Gateway;
use http::StatusCode;
use tessera_engine::WrittenData;
use tessera_s3_protocol::fmt::quote_etag;
use tessera_s3_protocol::validate::validate_object_key;
use tessera_s3_protocol::{S3Error, S3ErrorCode};
use tessera_types::meta::Precondition;
use tessera_types::replication::ReplicationStatus;
use tessera_types::{now_millis, Checksum, ChecksumAlgorithm, ObjectRecord, StorageClass};

/// A body stored by [`ingest`]: its data and verified checksum.
pub(crate) struct Ingested {
    pub data: WrittenData,
    pub checksum: Option<Checksum>,
}

impl Ingested {
    pub fn etag(&self) -> String {
        hex::encode(self.data.md5)
    }
}

/// Streams a request body into the engine, verifying the declared length,
/// Content-MD5, the payload hash and any `x-amz-checksum-*`. Nothing is left
/// behind on failure.
pub(crate) async fn ingest(
    gw: &Gateway,
    ctx: &ReqCtx,
    body: ReqBody,
    class: StorageClass,
    default_checksum: Option<ChecksumAlgorithm>,
    max_size: u64,
) -> Result<Ingested, ApiError> {
    let h = &ctx.parts.headers;
    let declared = headers::declared_length(h)?;
    if declared.is_some_and(|n| n > max_size) {
        return Err(S3Error::new(S3ErrorCode::EntityTooLarge)
            .extra("ProposedSize", declared.unwrap_or_default().to_string())
            .extra("MaxSizeAllowed", max_size.to_string())
            .into());
    }
    let content_md5 = headers::content_md5(h)?;
    let expectation = checksum_expectation(h, default_checksum)?;
    let (stream, cell) = request_stream(body.incoming, &body.payload, expectation, declared);
    let data = gw.engine.write_data(class, stream, max_size).await?;
    if let Some(expected) = content_md5 {
        if expected != data.md5 {
            gw.engine.discard(&data.segments).await;
            return Err(S3Error::new(S3ErrorCode::BadDigest).into());
        }
    }
    let checksum = cell.lock().ok().and_then(|c| c.clone());
    Ok(Ingested { data, checksum })
}

/// Whether the write is a replica (`x-amz-replication-status: REPLICA`),
/// which takes the `s3:ReplicateObject` permission besides the write's own.
pub(crate) async fn replica_write(gw: &Gateway, ctx: &ReqCtx) -> Result<bool, ApiError> {
    let replica = headers::replica_write(&ctx.parts.headers)?;
    if replica {
        super::authorize(gw, ctx, ctx.bucket(), Some(ctx.key()), "s3:ReplicateObject").await?;
    }
    Ok(replica)
}

/// Reads `If-None-Match: *` / `If-Match` of a conditional write.
pub(crate) fn write_precondition(ctx: &ReqCtx) -> Result<Precondition, S3Error> {
    if let Some(v) = ctx.header("if-none-match") {
        if v.trim() == "*" {
            return Ok(Precondition::NotExists);
        }
        return Err(S3Error::with_message(
            S3ErrorCode::NotImplemented,
            "If-None-Match on writes supports only '*'.",
        ));
    }
    if let Some(v) = ctx.header("if-match") {
        let v = v.trim();
        if v == "*" {
            return Ok(Precondition::Exists);
        }
        return Ok(Precondition::ETagMatches(
            v.trim_start_matches("W/").trim_matches('"').to_string(),
        ));
    }
    Ok(Precondition::None)
}

pub(crate) async fn put_object(gw: &Gateway, ctx: &ReqCtx, body: ReqBody) -> HandlerResult {
    validate_object_key(ctx.key())?;
    let bucket = super::authorize_bucket(gw, ctx).await?;
    let h = &ctx.parts.headers;
    headers::reject_unsupported(h)?;
    let acl = super::acl::object_acl(gw, ctx, &bucket).await?;
    let class = headers::storage_class(h)?;
    let content = headers::content_headers(h);
    let user_meta = headers::user_metadata(h)?;
    let precondition = write_precondition(ctx)?;
    let replica = replica_write(gw, ctx).await?;
    check_precondition_early(gw, ctx, &precondition).await?;

    let ingested = ingest(
        gw,
        ctx,
        body,
        class,
        Some(ChecksumAlgorithm::Crc64Nvme),
        gw.max_object_size,
    )
    .await?;
    let object = ObjectRecord {
        size: ingested.data.size,
        etag: ingested.etag(),
        last_modified: now_millis(),
        owner: bucket.owner.clone(),
        storage_class: class,
        content,
        user_meta,
        checksum: ingested.checksum.clone(),
        parts: Vec::new(),
        segments: ingested.data.segments.clone(),
        upload_id: None,
        acl,
        replication_status: replica.then_some(ReplicationStatus::Replica),
    };
    let etag = object.etag.clone();
    if let Err(e) = gw
        .engine
        .meta()
        .put_object(ctx.bucket(), ctx.key(), object, precondition)
        .await
    {
        gw.engine
            .discard_uncommitted(&ingested.data.segments, &e)
            .await;
        return Err(e.into());
    }
    let mut r = response::status(StatusCode::OK);
    response::set_header(&mut r, "etag", &quote_etag(&etag));
    checksum_headers(&mut r, ingested.checksum.as_ref());
    if class != StorageClass::Standard {
        response::set_header(&mut r, "x-amz-storage-class", class.as_str());
    }
    Ok(r)
}

/// Fails a conditional write before its body is read when the condition
/// already does not hold (the commit checks it again atomically).
pub(crate) async fn check_precondition_early(
    gw: &Gateway,
    ctx: &ReqCtx,
    precondition: &Precondition,
) -> Result<(), ApiError> {
    if *precondition == Precondition::None {
        return Ok(());
    }
    let current = gw.engine.meta().get_object(ctx.bucket(), ctx.key()).await?;
    let holds = match (precondition, current) {
        (Precondition::NotExists, current) => current.is_none(),
        (Precondition::ETagMatches(_) | Precondition::Exists, None) => {
            return Err(S3Error::new(S3ErrorCode::NoSuchKey).into());
        }
        (Precondition::ETagMatches(e), Some(o)) => *e == o.etag,
        (Precondition::Exists, Some(_)) | (Precondition::None, _) => true,
    };
    if holds {
        Ok(())
    } else {
        Err(S3Error::new(S3ErrorCode::PreconditionFailed)
            .extra(
                "Condition",
                if matches!(precondition, Precondition::NotExists) {
                    "If-None-Match"
                } else {
                    "If-Match"
                },
            )
            .into())
    }
}
