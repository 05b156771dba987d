//! Bucket replication configuration (`?replication`). Each rule's
//! destination, `arn:aws:s3:::BUCKET`, is the remote registered for BUCKET
//! (`tessera admin remote add`) if there is one, else the local bucket of
//! that name, which must exist. The replication worker copies what the
//! rules select.

use super::authorize_bucket;
use super::config::{no_such, read_document, store};
use super::ReqBody;
use crate::context::ReqCtx;
use crate::response::{self, HandlerResult};
use crate::Gateway;
use http::StatusCode;
use tessera_s3_protocol::xml::{to_xml, ReplicationConfiguration};
use tessera_s3_protocol::{S3Error, S3ErrorCode};
use tessera_types::meta::BucketConfig;

pub(crate) async fn put_bucket_replication(
    gw: &Gateway,
    ctx: &ReqCtx,
    body: ReqBody,
) -> HandlerResult {
    authorize_bucket(gw, ctx).await?;
    let doc = ReplicationConfiguration::parse(&read_document(ctx, body).await?, ctx.bucket())?;
    let meta = gw.engine.meta();
    let remotes = meta.list_remotes().await?;
    for rule in &doc.0.rules {
        let dest = &rule.destination_bucket;
        let remote = remotes.iter().any(|r| &r.bucket == dest);
        if !remote && meta.get_bucket(dest).await?.is_none() {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidRequest,
                "Destination bucket must exist.",
            )
            .extra("BucketName", dest.clone())
            .into());
        }
    }
    let rules = doc.0.rules.len();
    store(gw, ctx, BucketConfig::Replication(Some(doc.0))).await?;
    tracing::info!(
        bucket = ctx.bucket(),
        rules,
        "replication configuration set"
    );
    Ok(response::status(StatusCode::OK))
}

pub(crate) async fn get_bucket_replication(gw: &Gateway, ctx: &ReqCtx) -> HandlerResult {
    let record = authorize_bucket(gw, ctx).await?;
    match record.replication {
        Some(config) => Ok(response::xml(to_xml(&ReplicationConfiguration(config)))),
        None => Err(no_such(S3ErrorCode::ReplicationConfigurationNotFoundError, ctx).into()),
    }
}

pub(crate) async fn delete_bucket_replication(gw: &Gateway, ctx: &ReqCtx) -> HandlerResult {
    authorize_bucket(gw, ctx).await?;
    store(gw, ctx, BucketConfig::Replication(None)).await?;
    tracing::info!(bucket = ctx.bucket(), "replication configuration deleted");
    Ok(response::status(StatusCode::NO_CONTENT))
}
