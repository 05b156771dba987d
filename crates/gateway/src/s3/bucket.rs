//! Bucket operations: ListBuckets, CreateBucket, HeadBucket, DeleteBucket,
//! GetBucketLocation, GetBucketVersioning.

use super::list::{decode_token, encode_token};
use super::{authorize_bucket, ReqBody};
use crate::body;
use crate::context::ReqCtx;
use crate::response::{self, HandlerResult};
use crate::Gateway;
use http::StatusCode;
use tessera_s3_protocol::fmt::iso8601_millis;
use tessera_s3_protocol::validate::validate_bucket_name;
use tessera_s3_protocol::xml::{self, to_xml};
use tessera_s3_protocol::{S3Error, S3ErrorCode};
use tessera_types::{now_millis, BucketRecord};

/// The largest `max-buckets` AWS accepts.
const MAX_BUCKETS: u32 = 10_000;

/// `max-buckets`: `None` when absent (every bucket is listed), else
/// 1..=10000 (InvalidArgument otherwise).
fn max_buckets(ctx: &ReqCtx) -> Result<Option<usize>, S3Error> {
    let Some(v) = ctx.query("max-buckets") else {
        return Ok(None);
    };
    v.parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_BUCKETS).contains(n))
        .map(|n| Some(n as usize))
        .ok_or_else(|| {
            S3Error::with_message(
                S3ErrorCode::InvalidArgument,
                format!("max-buckets must be an integer between 1 and {MAX_BUCKETS}"),
            )
            .extra("ArgumentName", "max-buckets")
            .extra("ArgumentValue", v)
        })
}

/// ListBuckets: the buckets the principal owns (every bucket for the root
/// key) in name order, filtered by `prefix`, paginated by `max-buckets` and
/// `continuation-token` (opaque: it encodes the last name returned).
pub(crate) async fn list_buckets(gw: &Gateway, ctx: &ReqCtx) -> HandlerResult {
    let max = max_buckets(ctx)?;
    let prefix = ctx.query("prefix").filter(|p| !p.is_empty());
    let after = ctx
        .query("continuation-token")
        .filter(|t| !t.is_empty())
        .map(decode_token)
        .transpose()?;
    let me = &ctx.principal;
    let mut buckets: Vec<BucketRecord> = gw
        .engine
        .meta()
        .list_buckets()
        .await?
        .into_iter()
        .filter(|b| me.is_root || b.owner == me.access_key_id)
        .filter(|b| prefix.is_none_or(|p| b.name.starts_with(p)))
        .filter(|b| after.as_deref().is_none_or(|a| b.name.as_str() > a))
        .collect();
    buckets.sort_by(|a, b| a.name.cmp(&b.name));
    let continuation_token = match max {
        Some(max) if buckets.len() > max => {
            buckets.truncate(max);
            buckets.last().map(|b| encode_token(&b.name))
        }
        _ => None,
    };
    let doc = xml::ListAllMyBucketsResult {
        owner: xml::Owner {
            id: me.access_key_id.clone(),
            display_name: me.access_key_id.clone(),
        },
        buckets: buckets
            .into_iter()
            .map(|b| xml::Bucket {
                name: b.name,
                creation_date: iso8601_millis(b.created),
                bucket_region: Some(b.region),
            })
            .collect(),
        continuation_token,
        prefix: prefix.map(str::to_string),
    };
    Ok(response::xml(to_xml(&doc)))
}

pub(crate) async fn create_bucket(gw: &Gateway, ctx: &ReqCtx, body: ReqBody) -> HandlerResult {
    let name = ctx.bucket();
    validate_bucket_name(name)?;
    super::headers::reject_unsupported(&ctx.parts.headers)?;
    let doc = body::read_small(body.incoming, &body.payload, &ctx.parts.headers, 64 * 1024).await?;
    if !doc.iter().all(|b| b.is_ascii_whitespace()) {
        let cfg = xml::CreateBucketConfiguration::parse(&doc)?;
        if let Some(loc) = cfg.location_constraint.filter(|l| !l.is_empty()) {
            if loc != gw.region {
                return Err(S3Error::with_message(
                    S3ErrorCode::IllegalLocationConstraintException,
                    format!(
                        "The {loc} location constraint is incompatible for the region specific endpoint this request was sent to."
                    ),
                )
                .into());
            }
        }
    }
    let mut record =
        BucketRecord::new(name, &ctx.principal.access_key_id, now_millis(), &gw.region);
    let owner = &ctx.principal.access_key_id;
    if let Some(acl) = super::acl::requested_acl(gw, &ctx.parts.headers, owner, owner).await? {
        record.acl = acl;
    }
    match gw.engine.meta().create_bucket(record).await {
        Ok(()) => {}
        // The root key administers every bucket, including its own: AWS
        // answers 200 in us-east-1 for a bucket you already own.
        Err(tessera_engine::MetaClientError::Meta(
            tessera_types::meta::MetaError::BucketAlreadyOwnedByYou,
        )) if gw.region == "us-east-1" => {}
        Err(e) => return Err(e.into()),
    }
    tracing::info!(bucket = name, owner = %ctx.principal.access_key_id, "bucket created");
    let mut r = response::status(StatusCode::OK);
    response::set_header(&mut r, "location", &format!("/{name}"));
    Ok(r)
}

pub(crate) async fn head_bucket(gw: &Gateway, ctx: &ReqCtx) -> HandlerResult {
    let b = authorize_bucket(gw, ctx).await?;
    let mut r = response::status(StatusCode::OK);
    response::set_header(&mut r, "x-amz-bucket-region", &b.region);
    Ok(r)
}

pub(crate) async fn delete_bucket(gw: &Gateway, ctx: &ReqCtx) -> HandlerResult {
    authorize_bucket(gw, ctx).await?;
    gw.engine.meta().delete_bucket(ctx.bucket()).await?;
    tracing::info!(bucket = ctx.bucket(), "bucket deleted");
    Ok(response::status(StatusCode::NO_CONTENT))
}

pub(crate) async fn get_bucket_location(gw: &Gateway, ctx: &ReqCtx) -> HandlerResult {
    let b = authorize_bucket(gw, ctx).await?;
    // us-east-1 is reported as an empty LocationConstraint, as AWS does.
    let region = if b.region == "us-east-1" {
        None
    } else {
        Some(b.region)
    };
    Ok(response::xml(to_xml(&xml::LocationConstraint {
        location_constraint: region,
    })))
}

pub(crate) async fn get_bucket_versioning(gw: &Gateway, ctx: &ReqCtx) -> HandlerResult {
    authorize_bucket(gw, ctx).await?;
    Ok(response::xml(to_xml(
        &xml::VersioningConfiguration::default(),
    )))
}
