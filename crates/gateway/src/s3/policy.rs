//! GetBucketPolicy, PutBucketPolicy, DeleteBucketPolicy.

use super::ReqBody;
use crate::body;
use crate::context::ReqCtx;
use crate::response::{self, HandlerResult};
use crate::Gateway;
use http::StatusCode;
use tessera_policy::Policy;
use tessera_s3_protocol::{S3Error, S3ErrorCode};
use tessera_types::meta::BucketConfig;

/// Largest policy document, as in AWS.
const MAX_POLICY: usize = 20 * 1024;

pub(crate) async fn get_bucket_policy(gw: &Gateway, ctx: &ReqCtx) -> HandlerResult {
    let b = super::authorize_bucket(gw, ctx).await?;
    let doc = b
        .policy
        .ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchBucketPolicy).resource(ctx.bucket()))?;
    Ok(response::json(doc))
}

pub(crate) async fn put_bucket_policy(gw: &Gateway, ctx: &ReqCtx, body: ReqBody) -> HandlerResult {
    super::authorize_bucket(gw, ctx).await?;
    let doc = body::read_small(body.incoming, &body.payload, &ctx.parts.headers, MAX_POLICY)
        .await
        .map_err(|e| {
            if e.code == S3ErrorCode::MalformedXML {
                S3Error::with_message(
                    S3ErrorCode::PolicyTooLarge,
                    "Policy exceeds the maximum allowed document size.",
                )
            } else {
                e
            }
        })?;
    let text = std::str::from_utf8(&doc).map_err(|_| {
        S3Error::with_message(
            S3ErrorCode::MalformedPolicy,
            "Policies must be valid JSON and the first byte must be '{'",
        )
    })?;
    Policy::parse(text, ctx.bucket())
        .map_err(|e| S3Error::with_message(S3ErrorCode::MalformedPolicy, e.0))?;
    gw.engine
        .meta()
        .set_bucket_config(ctx.bucket(), BucketConfig::Policy(Some(text.to_string())))
        .await?;
    tracing::info!(bucket = ctx.bucket(), "bucket policy set");
    Ok(response::status(StatusCode::NO_CONTENT))
}

pub(crate) async fn delete_bucket_policy(gw: &Gateway, ctx: &ReqCtx) -> HandlerResult {
    super::authorize_bucket(gw, ctx).await?;
    gw.engine
        .meta()
        .set_bucket_config(ctx.bucket(), BucketConfig::Policy(None))
        .await?;
    tracing::info!(bucket = ctx.bucket(), "bucket policy deleted");
    Ok(response::status(StatusCode::NO_CONTENT))
}
