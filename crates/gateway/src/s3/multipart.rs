//! Multipart uploads: create, upload part (and part copy), complete, abort,
//! list parts, list uploads. A completed object's data is the parts' blocks,
//! stitched together in metadata: nothing is copied.

use super::copy::{load_source, source_body};
use super::headers::{self, checksum_headers};
use super::list::{max_param, url_encoding};
use super::put::{ingest, write_precondition};
use super::ReqBody;
use crate::body;
use crate::context::ReqCtx;
use crate::response::{self, set_checksum, ApiError, HandlerResult, HttpResponse};
use crate::Gateway;
use http::StatusCode;
use md5::{Digest, Md5};
use std::sync::Arc;
use tessera_s3_protocol::checksum::{combine_full_object_crc, composite_checksum};
use tessera_s3_protocol::fmt::{iso8601_millis, quote_etag, url_encode_key};
use tessera_s3_protocol::range::parse_copy_source_range;
use tessera_s3_protocol::validate::validate_object_key;
use tessera_s3_protocol::xml::{self, to_xml};
use tessera_s3_protocol::{S3Error, S3ErrorCode};
use tessera_types::meta::{ListUploadsQuery, UploadEntry};
use tessera_types::replication::ReplicationStatus;
use tessera_types::{
    now_millis, Checksum, ChecksumAlgorithm, ChecksumType, ObjectRecord, PartInfo, PartRecord,
    UploadRecord,
};

/// S3's part size floor for every part but the last.
const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// S3's part size ceiling.
const MAX_PART_SIZE: u64 = 5 * 1024 * 1024 * 1024;
const MAX_PARTS: u32 = 10_000;
const MAX_COMPLETE_DOC: usize = 4 * 1024 * 1024;

fn new_upload_id() -> String {
    use rand::Rng;
    // Time first, so that a key's uploads list in the order they began.
    let r: u64 = rand::thread_rng().gen();
    format!("{:012x}{:016x}", now_millis(), r)
}

fn upload_id(ctx: &ReqCtx) -> Result<&str, S3Error> {
    ctx.query("uploadId")
        .filter(|u| !u.is_empty())
        .ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchUpload))
}

async fn load_upload(gw: &Gateway, ctx: &ReqCtx) -> Result<UploadRecord, ApiError> {
    let id = upload_id(ctx)?;
    gw.engine
        .meta()
        .get_upload(ctx.bucket(), ctx.key(), id)
        .await?
        .ok_or_else(|| {
            S3Error::new(S3ErrorCode::NoSuchUpload)
                .extra("UploadId", id)
                .into()
        })
}

fn part_number(ctx: &ReqCtx) -> Result<u32, S3Error> {
    parse_part_number(ctx.query("partNumber").unwrap_or_default())
}

/// A `partNumber` parameter: 1 to 10000 (InvalidArgument otherwise).
pub(crate) fn parse_part_number(raw: &str) -> Result<u32, S3Error> {
    raw.parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_PARTS).contains(n))
        .ok_or_else(|| {
            S3Error::with_message(
                S3ErrorCode::InvalidArgument,
                "Part number must be an integer between 1 and 10000, inclusive",
            )
            .extra("ArgumentName", "partNumber")
            .extra("ArgumentValue", raw)
        })
}

pub(crate) async fn create_multipart_upload(gw: &Gateway, ctx: &ReqCtx) -> HandlerResult {
    validate_object_key(ctx.key())?;
    let bucket = super::authorize_bucket(gw, ctx).await?;
    let h = &ctx.parts.headers;
    headers::reject_unsupported(h)?;
    let acl = super::acl::object_acl(gw, ctx, &bucket).await?;
    let checksum_algorithm = match ctx.header("x-amz-checksum-algorithm") {
        None => None,
        Some(v) => Some(ChecksumAlgorithm::parse(v.trim()).ok_or_else(|| {
            S3Error::with_message(
                S3ErrorCode::InvalidRequest,
                "Checksum algorithm provided is unsupported.",
            )
        })?),
    };
    let checksum_type = match ctx.header("x-amz-checksum-type") {
        None => checksum_algorithm.map(|a| {
            if a == ChecksumAlgorithm::Crc64Nvme {
                ChecksumType::FullObject
            } else {
                ChecksumType::Composite
            }
        }),
        Some(v) if v.eq_ignore_ascii_case("COMPOSITE") => Some(ChecksumType::Composite),
        Some(v) if v.eq_ignore_ascii_case("FULL_OBJECT") => Some(ChecksumType::FullObject),
        Some(_) => {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidRequest,
                "Value for x-amz-checksum-type header is invalid.",
            )
            .into())
        }
    };
    match (checksum_algorithm, checksum_type) {
        (None, Some(_)) => {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidRequest,
                "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.",
            )
            .into())
        }
        (Some(a), Some(ChecksumType::FullObject))
            if matches!(a, ChecksumAlgorithm::Sha1 | ChecksumAlgorithm::Sha256) =>
        {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidRequest,
                format!("The FULL_OBJECT checksum type cannot be used with the {} checksum algorithm.", a.as_str().to_lowercase()),
            )
            .into())
        }
        (Some(ChecksumAlgorithm::Crc64Nvme), Some(ChecksumType::Composite)) => {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidRequest,
                "The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.",
            )
            .into())
        }
        _ => {}
    }
    let upload = UploadRecord {
        upload_id: new_upload_id(),
        bucket: ctx.bucket().to_string(),
        key: ctx.key().to_string(),
        initiated: now_millis(),
        owner: bucket.owner,
        storage_class: headers::storage_class(h)?,
        content: headers::content_headers(h),
        user_meta: headers::user_metadata(h)?,
        checksum_algorithm,
        checksum_type,
        acl,
        replica: super::put::replica_write(gw, ctx).await?,
    };
    let id = upload.upload_id.clone();
    gw.engine.meta().create_upload(upload).await?;
    let doc = xml::InitiateMultipartUploadResult {
        bucket: ctx.bucket().to_string(),
        key: ctx.key().to_string(),
        upload_id: id,
    };
    let mut r = response::xml(to_xml(&doc));
    if let Some(a) = checksum_algorithm {
        response::set_header(&mut r, "x-amz-checksum-algorithm", a.as_str());
    }
    if let Some(t) = checksum_type {
        response::set_header(&mut r, "x-amz-checksum-type", t.as_str());
    }
    Ok(r)
}

pub(crate) async fn upload_part(gw: &Gateway, ctx: &ReqCtx, body: ReqBody) -> HandlerResult {
    let number = part_number(ctx)?;
    super::authorize_bucket(gw, ctx).await?;
    let upload = load_upload(gw, ctx).await?;
    let ingested = ingest(
        gw,
        ctx,
        body,
        upload.storage_class,
        upload.checksum_algorithm,
        MAX_PART_SIZE,
    )
    .await?;
    if let (Some(want), Some(got)) = (upload.checksum_algorithm, &ingested.checksum) {
        if want != got.algorithm {
            gw.engine.discard(&ingested.data.segments).await;
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidRequest,
                format!("Checksum Type mismatch occurred, expected checksum Type: {}, actual checksum Type: {}", want.as_str().to_lowercase(), got.algorithm.as_str().to_lowercase()),
            )
            .into());
        }
    }
    let part = PartRecord {
        number,
        size: ingested.data.size,
        etag: ingested.etag(),
        last_modified: now_millis(),
        checksum: ingested.checksum.clone(),
        segments: ingested.data.segments.clone(),
    };
    let etag = part.etag.clone();
    if let Err(e) = gw
        .engine
        .meta()
        .put_part(ctx.bucket(), ctx.key(), &upload.upload_id, part)
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
    Ok(r)
}

pub(crate) async fn upload_part_copy(gw: &Arc<Gateway>, ctx: &ReqCtx) -> HandlerResult {
    let number = part_number(ctx)?;
    super::authorize_bucket(gw, ctx).await?;
    let upload = load_upload(gw, ctx).await?;
    let src = load_source(gw, ctx).await?;
    let range = match ctx.header("x-amz-copy-source-range") {
        Some(h) => {
            let r = parse_copy_source_range(h, src.object.size)?;
            *r.start()..*r.end() + 1
        }
        None => 0..src.object.size,
    };
    if range.end - range.start > MAX_PART_SIZE {
        return Err(S3Error::new(S3ErrorCode::EntityTooLarge).into());
    }
    let data = gw
        .engine
        .write_data(
            upload.storage_class,
            source_body(gw, &src.object, range),
            MAX_PART_SIZE,
        )
        .await?;
    let part = PartRecord {
        number,
        size: data.size,
        etag: hex::encode(data.md5),
        last_modified: now_millis(),
        checksum: None,
        segments: data.segments.clone(),
    };
    let (etag, modified) = (part.etag.clone(), part.last_modified);
    if let Err(e) = gw
        .engine
        .meta()
        .put_part(ctx.bucket(), ctx.key(), &upload.upload_id, part)
        .await
    {
        gw.engine.discard_uncommitted(&data.segments, &e).await;
        return Err(e.into());
    }
    let doc = xml::CopyPartResult {
        etag: quote_etag(&etag),
        last_modified: iso8601_millis(modified),
        ..Default::default()
    };
    Ok(response::xml(to_xml(&doc)))
}

/// Every stored part of an upload, in number order.
async fn all_parts(
    gw: &Gateway,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> Result<Vec<PartRecord>, ApiError> {
    let mut parts = Vec::new();
    let mut marker = 0;
    loop {
        let page = gw
            .engine
            .meta()
            .list_parts(bucket, key, upload_id, marker, 1000)
            .await?;
        marker = page.parts.last().map(|p| p.number).unwrap_or(marker);
        parts.extend(page.parts);
        if !page.is_truncated {
            return Ok(parts);
        }
    }
}

pub(crate) async fn complete_multipart_upload(
    gw: &Gateway,
    ctx: &ReqCtx,
    body: ReqBody,
) -> HandlerResult {
    super::authorize_bucket(gw, ctx).await?;
    let upload = match load_upload(gw, ctx).await {
        Ok(u) => u,
        Err(e) => {
            // A retry of a Complete that succeeded (its answer lost on the
            // way) gets the same answer again, as from AWS.
            if let Some(done) = completed_by(gw, ctx).await? {
                return Ok(complete_response(ctx, &done.etag, done.checksum.as_ref()));
            }
            return Err(e);
        }
    };
    // x-amz-checksum-* headers of a Complete describe the whole object.
    let doc = body::read_document(
        body.incoming,
        &body.payload,
        &ctx.parts.headers,
        MAX_COMPLETE_DOC,
        false,
    )
    .await?;
    let req = xml::CompleteMultipartUpload::parse(&doc)?;
    let precondition = write_precondition(ctx)?;
    let stored = all_parts(gw, ctx.bucket(), ctx.key(), &upload.upload_id).await?;

    // AWS checks, in this order: part order, then that each part exists
    // with its ETag, then the size of every part but the last.
    if req
        .parts
        .windows(2)
        .any(|w| w[1].part_number <= w[0].part_number)
    {
        return Err(S3Error::new(S3ErrorCode::InvalidPartOrder).into());
    }
    let mut chosen: Vec<&PartRecord> = Vec::with_capacity(req.parts.len());
    for p in &req.parts {
        let wanted = p.etag.trim().trim_matches('"');
        let part = stored
            .iter()
            .find(|s| s.number == p.part_number && s.etag == wanted)
            .ok_or_else(|| {
                S3Error::new(S3ErrorCode::InvalidPart)
                    .extra("UploadId", upload.upload_id.clone())
                    .extra("PartNumber", p.part_number.to_string())
                    .extra("ETag", wanted.to_string())
            })?;
        chosen.push(part);
    }
    let all_but_last = chosen
        .split_last()
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    if let Some(small) = all_but_last.iter().find(|p| p.size < MIN_PART_SIZE) {
        return Err(S3Error::new(S3ErrorCode::EntityTooSmall)
            .extra("ProposedSize", small.size.to_string())
            .extra("MinSizeAllowed", MIN_PART_SIZE.to_string())
            .extra("PartNumber", small.number.to_string())
            .extra("ETag", small.etag.clone())
            .into());
    }

    let mut md5s = Md5::new();
    for p in &chosen {
        let raw = hex::decode(&p.etag).map_err(|_| S3Error::new(S3ErrorCode::InternalError))?;
        md5s.update(&raw);
    }
    let etag = format!("{}-{}", hex::encode(md5s.finalize()), chosen.len());
    let checksum = object_checksum(&upload, &chosen)?;
    if let Some(c) = &checksum {
        // A checksum the client sent for the whole object must match ours.
        if let Some(sent) = ctx.header(c.algorithm.header_name()) {
            let bare = c.value.split('-').next().unwrap_or_default();
            if sent.trim() != c.value && sent.trim() != bare {
                return Err(S3Error::with_message(
                    S3ErrorCode::BadDigest,
                    format!(
                        "The {} you specified did not match the calculated checksum.",
                        c.algorithm.as_str()
                    ),
                )
                .into());
            }
        }
    }
    let object = ObjectRecord {
        size: chosen.iter().map(|p| p.size).sum(),
        etag: etag.clone(),
        last_modified: now_millis(),
        owner: upload.owner.clone(),
        storage_class: upload.storage_class,
        content: upload.content.clone(),
        user_meta: upload.user_meta.clone(),
        checksum: checksum.clone(),
        parts: chosen
            .iter()
            .map(|p| PartInfo {
                number: p.number,
                size: p.size,
                etag: p.etag.clone(),
                checksum: p.checksum.clone(),
            })
            .collect(),
        segments: chosen
            .iter()
            .flat_map(|p| p.segments.iter().cloned())
            .collect(),
        upload_id: Some(upload.upload_id.clone()),
        acl: upload.acl.clone(),
        replication_status: upload.replica.then_some(ReplicationStatus::Replica),
    };
    let listed = chosen.iter().map(|p| (p.number, p.etag.clone())).collect();
    gw.engine
        .meta()
        .complete_upload(
            ctx.bucket(),
            ctx.key(),
            &upload.upload_id,
            listed,
            object,
            precondition,
        )
        .await?;
    Ok(complete_response(ctx, &etag, checksum.as_ref()))
}

/// The object at the request's key, if upload `uploadId` completed it.
async fn completed_by(gw: &Gateway, ctx: &ReqCtx) -> Result<Option<ObjectRecord>, ApiError> {
    let id = upload_id(ctx)?;
    let current = gw.engine.meta().get_object(ctx.bucket(), ctx.key()).await?;
    Ok(current.filter(|o| o.upload_id.as_deref() == Some(id)))
}

/// The CompleteMultipartUploadResult document.
fn complete_response(ctx: &ReqCtx, etag: &str, checksum: Option<&Checksum>) -> HttpResponse {
    let host = ctx.header("host").unwrap_or("localhost");
    let mut result = xml::CompleteMultipartUploadResult {
        location: format!(
            "http://{host}/{}/{}",
            ctx.bucket(),
            url_encode_key(ctx.key())
        ),
        bucket: ctx.bucket().to_string(),
        key: ctx.key().to_string(),
        etag: quote_etag(etag),
        ..Default::default()
    };
    if let Some(c) = checksum {
        set_checksum!(result, c.algorithm, c.value.clone());
        result.checksum_type = Some(c.kind.as_str().to_string());
    }
    let mut r = response::xml(to_xml(&result));
    checksum_headers(&mut r, checksum);
    r
}

/// The checksum of a completed object, from its parts' checksums, when the
/// upload declared an algorithm.
fn object_checksum(
    upload: &UploadRecord,
    parts: &[&PartRecord],
) -> Result<Option<Checksum>, S3Error> {
    let Some(alg) = upload.checksum_algorithm else {
        return Ok(None);
    };
    let mut values = Vec::with_capacity(parts.len());
    for p in parts {
        match &p.checksum {
            Some(c) if c.algorithm == alg => values.push((c.value.as_str(), p.size)),
            _ => {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidRequest,
                    format!("The upload was created using a {} checksum. The complete request must include the checksum for each part.", alg.as_str().to_lowercase()),
                ))
            }
        }
    }
    let kind = upload.checksum_type.unwrap_or(ChecksumType::Composite);
    let value = match kind {
        ChecksumType::Composite => {
            let v: Vec<&str> = values.iter().map(|(v, _)| *v).collect();
            composite_checksum(alg, &v)?
        }
        ChecksumType::FullObject => combine_full_object_crc(alg, &values)?
            .ok_or_else(|| S3Error::new(S3ErrorCode::InvalidRequest))?,
    };
    Ok(Some(Checksum {
        algorithm: alg,
        value,
        kind,
    }))
}

pub(crate) async fn abort_multipart_upload(gw: &Gateway, ctx: &ReqCtx) -> HandlerResult {
    super::authorize_bucket(gw, ctx).await?;
    let id = upload_id(ctx)?;
    gw.engine
        .meta()
        .abort_upload(ctx.bucket(), ctx.key(), id)
        .await?;
    Ok(response::status(StatusCode::NO_CONTENT))
}

pub(crate) async fn list_parts(gw: &Gateway, ctx: &ReqCtx) -> HandlerResult {
    super::authorize_bucket(gw, ctx).await?;
    let upload = load_upload(gw, ctx).await?;
    let max_parts = max_param(ctx, "max-parts")?;
    let marker: u32 = match ctx.query("part-number-marker") {
        None | Some("") => 0,
        Some(m) => m.parse().map_err(|_| {
            S3Error::with_message(
                S3ErrorCode::InvalidArgument,
                "Provided part-number-marker not an integer or within integer range",
            )
            .extra("ArgumentName", "part-number-marker")
        })?,
    };
    let page = gw
        .engine
        .meta()
        .list_parts(
            ctx.bucket(),
            ctx.key(),
            &upload.upload_id,
            marker,
            max_parts,
        )
        .await?;
    let (parts, truncated) = (page.parts, page.is_truncated);
    let owner = xml::Owner {
        id: upload.owner.clone(),
        display_name: upload.owner.clone(),
    };
    let doc = xml::ListPartsResult {
        bucket: ctx.bucket().to_string(),
        key: ctx.key().to_string(),
        upload_id: upload.upload_id.clone(),
        part_number_marker: marker,
        next_part_number_marker: parts.last().map(|p| p.number),
        max_parts,
        is_truncated: truncated,
        parts: parts
            .iter()
            .map(|p| {
                let mut part = xml::Part {
                    part_number: p.number,
                    last_modified: iso8601_millis(p.last_modified),
                    etag: quote_etag(&p.etag),
                    size: p.size,
                    ..Default::default()
                };
                if let Some(c) = &p.checksum {
                    set_checksum!(part, c.algorithm, c.value.clone());
                }
                part
            })
            .collect(),
        initiator: Some(owner.clone()),
        owner: Some(owner),
        storage_class: upload.storage_class.as_str().to_string(),
        checksum_algorithm: upload.checksum_algorithm.map(|a| a.as_str().to_string()),
        checksum_type: upload.checksum_type.map(|t| t.as_str().to_string()),
    };
    Ok(response::xml(to_xml(&doc)))
}

pub(crate) async fn list_multipart_uploads(gw: &Gateway, ctx: &ReqCtx) -> HandlerResult {
    super::authorize_bucket(gw, ctx).await?;
    let max_uploads = max_param(ctx, "max-uploads")?;
    let url = url_encoding(ctx)?;
    let enc = |s: &str| {
        if url {
            url_encode_key(s)
        } else {
            s.to_string()
        }
    };
    let prefix = ctx.query("prefix").unwrap_or_default().to_string();
    let delimiter = ctx
        .query("delimiter")
        .filter(|d| !d.is_empty())
        .map(str::to_string);
    let key_marker = ctx
        .query("key-marker")
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let upload_id_marker = key_marker.as_ref().and(
        ctx.query("upload-id-marker")
            .filter(|s| !s.is_empty())
            .map(str::to_string),
    );
    let page = gw
        .engine
        .meta()
        .list_uploads(ListUploadsQuery {
            bucket: ctx.bucket().to_string(),
            prefix: prefix.clone(),
            delimiter: delimiter.clone(),
            key_marker: key_marker.clone(),
            upload_id_marker: upload_id_marker.clone(),
            max_uploads,
        })
        .await?;
    let mut doc = xml::ListMultipartUploadsResult {
        bucket: ctx.bucket().to_string(),
        key_marker: key_marker.as_deref().map(enc).unwrap_or_default(),
        upload_id_marker: upload_id_marker.clone().unwrap_or_default(),
        prefix: enc(&prefix),
        delimiter: delimiter.as_deref().map(enc),
        max_uploads,
        is_truncated: page.is_truncated,
        encoding_type: url.then(|| "url".to_string()),
        ..Default::default()
    };
    for e in page.entries {
        match e {
            UploadEntry::Upload(u) => {
                if page.is_truncated {
                    doc.next_key_marker = Some(enc(&u.key));
                    doc.next_upload_id_marker = Some(u.upload_id.clone());
                }
                let owner = xml::Owner {
                    id: u.owner.clone(),
                    display_name: u.owner.clone(),
                };
                doc.uploads.push(xml::MultipartUpload {
                    key: enc(&u.key),
                    upload_id: u.upload_id,
                    initiator: Some(owner.clone()),
                    owner: Some(owner),
                    checksum_type: u.checksum_type.map(|t| t.as_str().to_string()),
                    storage_class: u.storage_class.as_str().to_string(),
                    initiated: iso8601_millis(u.initiated),
                    checksum_algorithm: u.checksum_algorithm.map(|a| a.as_str().to_string()),
                });
            }
            UploadEntry::CommonPrefix(p) => {
                if page.is_truncated {
                    doc.next_key_marker = Some(enc(&p));
                }
                doc.common_prefixes.push(xml::CommonPrefix::new(enc(&p)))
            }
        }
    }
    Ok(response::xml(to_xml(&doc)))
}
