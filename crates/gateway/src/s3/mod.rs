//! The S3 API: one dispatcher, one module per operation family.

mod acl;
mod bucket;
mod config;
mod copy;
mod delete;
pub(crate) mod get;
pub(crate) mod headers;
mod list;
mod multipart;
mod policy;
mod put;
mod replication;

use crate::access::{uses_object_acl, Judge, RequestEnv};
use crate::body::Body;
use crate::context::{new_request_id, Principal, ReqCtx};
use crate::response::{self, ApiError, HandlerResult};
use crate::Gateway;
use hyper::body::Incoming;
use std::sync::Arc;
use std::time::Instant;
use tessera_s3_protocol::auth::PayloadMode;
use tessera_s3_protocol::router::{self, Endpoint};
use tessera_s3_protocol::{S3Error, S3ErrorCode};
use tessera_types::BucketRecord;
use tracing::{info_span, Instrument};

/// The request body and how it is signed, for handlers that read one.
pub(crate) struct ReqBody {
    pub incoming: Incoming,
    pub payload: PayloadMode,
}

/// Answers one S3 request.
pub async fn handle(gw: Arc<Gateway>, req: http::Request<Incoming>) -> http::Response<Body> {
    let started = Instant::now();
    let request_id = new_request_id();
    let head = req.method() == http::Method::HEAD;
    let (parts, incoming) = req.into_parts();
    let route = router::route(&parts.method, &parts.uri, &parts.headers, &gw.router);
    let op = route
        .as_ref()
        .map(|r| r.endpoint.name())
        .unwrap_or("Unknown");
    let span = info_span!(
        "s3",
        op,
        request_id = %request_id,
        bucket = route.as_ref().ok().and_then(|r| r.bucket.as_deref()).unwrap_or(""),
        key = route.as_ref().ok().and_then(|r| r.key.as_deref()).unwrap_or(""),
    );
    // A CORS request: its answer gets the bucket's Access-Control headers.
    let cors = parts
        .headers
        .get(http::header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .zip(route.as_ref().ok().and_then(|r| r.bucket.clone()))
        .filter(|_| {
            route
                .as_ref()
                .is_ok_and(|r| r.endpoint != Endpoint::Options)
        });
    let method = parts.method.clone();
    let mut loaded = None;
    let result = process(&gw, route, parts, incoming, &mut loaded)
        .instrument(span.clone())
        .await;

    let mut resp = match result {
        Ok(r) => r,
        Err(e) => {
            let _g = span.enter();
            if e.status().is_server_error() {
                tracing::warn!(code = %e.code, "request failed");
            } else {
                tracing::debug!(code = %e.code, message = %e.message, "request refused");
            }
            response::error(&e, &request_id, head)
        }
    };
    if let Some((origin, bucket)) = cors {
        crate::cors::decorate(&gw, &mut resp, &bucket, loaded, &origin, &method).await;
    }
    response::finish(&gw, resp, op, &request_id, started, &span)
}

/// Authenticates and answers a routed request. The bucket record the
/// handler loaded is left in `loaded`.
async fn process(
    gw: &Arc<Gateway>,
    route: Result<router::Route, S3Error>,
    parts: http::request::Parts,
    incoming: Incoming,
    loaded: &mut Option<BucketRecord>,
) -> Result<response::HttpResponse, S3Error> {
    let route = route?;
    // A CORS preflight is never authenticated: browsers send it without
    // credentials, and with a presigned URL's query the signature is for
    // the request that follows, not for the OPTIONS.
    let auth = if route.endpoint == Endpoint::Options {
        crate::auth::Authenticated::anonymous()
    } else {
        gw.authenticate(&parts, route.bucket.as_deref()).await?
    };
    // Anonymous requests go on: a bucket's policy or ACL may let them in.
    let principal = auth.principal.unwrap_or_else(Principal::anonymous);
    if principal.is_anonymous()
        && route.endpoint.action().is_none()
        && route.endpoint != Endpoint::Options
    {
        return Err(S3Error::new(S3ErrorCode::AccessDenied));
    }
    let ctx = ReqCtx {
        route,
        parts,
        principal,
        bucket_record: std::sync::OnceLock::new(),
    };
    let body = ReqBody {
        incoming,
        payload: auth.payload,
    };
    let result = dispatch(gw, &ctx, body).await;
    *loaded = ctx.bucket_record.into_inner();
    result.map_err(|ApiError(e)| e)
}

async fn dispatch(gw: &Arc<Gateway>, ctx: &ReqCtx, body: ReqBody) -> HandlerResult {
    use Endpoint::*;
    match ctx.route.endpoint {
        ListBuckets => bucket::list_buckets(gw, ctx).await,
        CreateBucket => bucket::create_bucket(gw, ctx, body).await,
        DeleteBucket => bucket::delete_bucket(gw, ctx).await,
        HeadBucket => bucket::head_bucket(gw, ctx).await,
        GetBucketLocation => bucket::get_bucket_location(gw, ctx).await,
        GetBucketVersioning => bucket::get_bucket_versioning(gw, ctx).await,
        ListObjects => list::list_objects(gw, ctx, false).await,
        ListObjectsV2 => list::list_objects(gw, ctx, true).await,
        ListObjectVersions => list::list_object_versions(gw, ctx).await,
        ListMultipartUploads => multipart::list_multipart_uploads(gw, ctx).await,
        DeleteObjects => delete::delete_objects(gw, ctx, body).await,
        GetObject => get::get_object(gw, ctx, false).await,
        HeadObject => get::get_object(gw, ctx, true).await,
        PutObject => put::put_object(gw, ctx, body).await,
        CopyObject => copy::copy_object(gw, ctx).await,
        DeleteObject => delete::delete_object(gw, ctx).await,
        CreateMultipartUpload => multipart::create_multipart_upload(gw, ctx).await,
        UploadPart => multipart::upload_part(gw, ctx, body).await,
        UploadPartCopy => multipart::upload_part_copy(gw, ctx).await,
        CompleteMultipartUpload => multipart::complete_multipart_upload(gw, ctx, body).await,
        AbortMultipartUpload => multipart::abort_multipart_upload(gw, ctx).await,
        ListParts => multipart::list_parts(gw, ctx).await,
        GetBucketReplication => replication::get_bucket_replication(gw, ctx).await,
        PutBucketReplication => replication::put_bucket_replication(gw, ctx, body).await,
        DeleteBucketReplication => replication::delete_bucket_replication(gw, ctx).await,
        GetBucketCors => config::get_bucket_cors(gw, ctx).await,
        PutBucketCors => config::put_bucket_cors(gw, ctx, body).await,
        DeleteBucketCors => config::delete_bucket_cors(gw, ctx).await,
        GetBucketWebsite => config::get_bucket_website(gw, ctx).await,
        PutBucketWebsite => config::put_bucket_website(gw, ctx, body).await,
        DeleteBucketWebsite => config::delete_bucket_website(gw, ctx).await,
        GetBucketNotificationConfiguration => config::get_bucket_notification(gw, ctx).await,
        PutBucketNotificationConfiguration => config::put_bucket_notification(gw, ctx, body).await,
        Options => crate::cors::preflight(gw, ctx).await,
        GetBucketPolicy => policy::get_bucket_policy(gw, ctx).await,
        PutBucketPolicy => policy::put_bucket_policy(gw, ctx, body).await,
        DeleteBucketPolicy => policy::delete_bucket_policy(gw, ctx).await,
        GetBucketAcl => acl::get_bucket_acl(gw, ctx).await,
        PutBucketAcl => acl::put_bucket_acl(gw, ctx, body).await,
        GetObjectAcl => acl::get_object_acl(gw, ctx).await,
        PutObjectAcl => acl::put_object_acl(gw, ctx, body).await,
    }
}

/// Loads `bucket`, or NoSuchBucket.
pub(crate) async fn load_bucket(gw: &Gateway, bucket: &str) -> Result<BucketRecord, ApiError> {
    Ok(gw
        .engine
        .meta()
        .get_bucket(bucket)
        .await?
        .ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchBucket).resource(bucket))?)
}

/// Whether the request's principal may do `action` on `record` (and `key`),
/// judged without an object's own ACL.
pub(crate) fn may(
    ctx: &ReqCtx,
    record: &BucketRecord,
    action: &'static str,
    key: Option<&str>,
) -> bool {
    judge(ctx, record).allows(action, key, None)
}

/// The judge of the request's questions about `record`.
pub(crate) fn judge<'a>(ctx: &'a ReqCtx, record: &'a BucketRecord) -> Judge<'a> {
    Judge::new(
        ctx.signed_principal(),
        record,
        &RequestEnv::from_parts(&ctx.parts),
    )
}

/// Loads `bucket` and checks that the request's principal may do `action`
/// on it (on `key`, for object actions): AccessDenied otherwise. An object's
/// own ACL is consulted (one more metadata read) only when nothing else
/// allows the request.
pub(crate) async fn authorize(
    gw: &Gateway,
    ctx: &ReqCtx,
    bucket: &str,
    key: Option<&str>,
    action: &'static str,
) -> Result<BucketRecord, ApiError> {
    let record = load_bucket(gw, bucket).await?;
    ctx.remember_bucket(&record);
    let judge = judge(ctx, &record);
    let mut allowed = judge.allows(action, key, None);
    if let (false, true, Some(k)) = (allowed, uses_object_acl(action), key) {
        if let Some(object) = gw.engine.meta().get_object(bucket, k).await? {
            allowed = judge.allows(action, key, Some(&object));
        }
    }
    if allowed {
        return Ok(record);
    }
    tracing::debug!(bucket, key, action, "access denied");
    Err(S3Error::new(S3ErrorCode::AccessDenied).into())
}

/// [`authorize`] for the request's own bucket, key and operation.
pub(crate) async fn authorize_bucket(gw: &Gateway, ctx: &ReqCtx) -> Result<BucketRecord, ApiError> {
    let action = ctx.route.endpoint.action().unwrap_or("s3:*");
    authorize(gw, ctx, ctx.bucket(), ctx.route.key.as_deref(), action).await
}
