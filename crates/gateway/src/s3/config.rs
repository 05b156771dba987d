//! Bucket configuration sub-resources: CORS (`?cors`), website hosting
//! (`?website`) and event notifications (`?notification`). CORS and website
//! documents are validated, then stored as re-rendered XML in the bucket
//! record, where the CORS checks and the website endpoint read it; a
//! notification configuration is stored as rules the metadata cluster
//! selects events with.

use super::{authorize_bucket, ReqBody};
use crate::body;
use crate::context::ReqCtx;
use crate::response::{self, HandlerResult};
use crate::Gateway;
use http::StatusCode;
use tessera_s3_protocol::xml::{
    to_xml, CorsConfiguration, NotificationConfiguration, WebsiteConfiguration,
};
use tessera_s3_protocol::{S3Error, S3ErrorCode};
use tessera_types::meta::BucketConfig;

/// The largest configuration document accepted (AWS's limit for CORS).
const MAX_CONFIG_DOCUMENT: usize = 64 * 1024;

pub(super) async fn read_document(ctx: &ReqCtx, body: ReqBody) -> Result<bytes::Bytes, S3Error> {
    body::read_small(
        body.incoming,
        &body.payload,
        &ctx.parts.headers,
        MAX_CONFIG_DOCUMENT,
    )
    .await
}

pub(super) async fn store(
    gw: &Gateway,
    ctx: &ReqCtx,
    config: BucketConfig,
) -> Result<(), crate::response::ApiError> {
    gw.engine
        .meta()
        .set_bucket_config(ctx.bucket(), config)
        .await?;
    Ok(())
}

pub(super) fn no_such(code: S3ErrorCode, ctx: &ReqCtx) -> S3Error {
    S3Error::new(code).extra("BucketName", ctx.bucket())
}

pub(crate) async fn put_bucket_cors(gw: &Gateway, ctx: &ReqCtx, body: ReqBody) -> HandlerResult {
    authorize_bucket(gw, ctx).await?;
    let doc = CorsConfiguration::parse(&read_document(ctx, body).await?)?;
    store(gw, ctx, BucketConfig::Cors(Some(to_xml(&doc)))).await?;
    tracing::info!(
        bucket = ctx.bucket(),
        rules = doc.rules.len(),
        "CORS configuration set"
    );
    Ok(response::status(StatusCode::OK))
}

pub(crate) async fn get_bucket_cors(gw: &Gateway, ctx: &ReqCtx) -> HandlerResult {
    let record = authorize_bucket(gw, ctx).await?;
    match record.cors {
        Some(doc) => Ok(response::xml(doc)),
        None => Err(no_such(S3ErrorCode::NoSuchCORSConfiguration, ctx).into()),
    }
}

pub(crate) async fn delete_bucket_cors(gw: &Gateway, ctx: &ReqCtx) -> HandlerResult {
    authorize_bucket(gw, ctx).await?;
    store(gw, ctx, BucketConfig::Cors(None)).await?;
    tracing::info!(bucket = ctx.bucket(), "CORS configuration deleted");
    Ok(response::status(StatusCode::NO_CONTENT))
}

pub(crate) async fn put_bucket_website(gw: &Gateway, ctx: &ReqCtx, body: ReqBody) -> HandlerResult {
    authorize_bucket(gw, ctx).await?;
    let doc = WebsiteConfiguration::parse(&read_document(ctx, body).await?)?;
    store(gw, ctx, BucketConfig::Website(Some(to_xml(&doc)))).await?;
    tracing::info!(bucket = ctx.bucket(), "website configuration set");
    Ok(response::status(StatusCode::OK))
}

pub(crate) async fn get_bucket_website(gw: &Gateway, ctx: &ReqCtx) -> HandlerResult {
    let record = authorize_bucket(gw, ctx).await?;
    match record.website {
        Some(doc) => Ok(response::xml(doc)),
        None => Err(no_such(S3ErrorCode::NoSuchWebsiteConfiguration, ctx).into()),
    }
}

pub(crate) async fn delete_bucket_website(gw: &Gateway, ctx: &ReqCtx) -> HandlerResult {
    authorize_bucket(gw, ctx).await?;
    store(gw, ctx, BucketConfig::Website(None)).await?;
    tracing::info!(bucket = ctx.bucket(), "website configuration deleted");
    Ok(response::status(StatusCode::NO_CONTENT))
}

/// Sets (or, with an empty document, clears) the bucket's notification
/// configuration. The metadata cluster refuses a rule naming an unknown
/// topic (`InvalidArgument`) and queues an `s3:TestEvent` for each topic.
pub(crate) async fn put_bucket_notification(
    gw: &Gateway,
    ctx: &ReqCtx,
    body: ReqBody,
) -> HandlerResult {
    authorize_bucket(gw, ctx).await?;
    let doc = NotificationConfiguration::parse(&read_document(ctx, body).await?)?;
    let rules = doc.rules.len();
    store(gw, ctx, BucketConfig::Notification(doc.into_config())).await?;
    tracing::info!(
        bucket = ctx.bucket(),
        rules,
        "notification configuration set"
    );
    Ok(response::status(StatusCode::OK))
}

/// The bucket's notification configuration; an empty
/// `<NotificationConfiguration/>` when it has none, as AWS answers.
pub(crate) async fn get_bucket_notification(gw: &Gateway, ctx: &ReqCtx) -> HandlerResult {
    let record = authorize_bucket(gw, ctx).await?;
    let doc = NotificationConfiguration::from(record.notification.unwrap_or_default());
    Ok(response::xml(to_xml(&doc)))
}
