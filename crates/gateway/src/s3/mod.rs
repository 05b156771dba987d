//! The S3 API: one dispatcher, one module per operation family.

mod bucket;
mod copy;
mod delete;
mod get;
pub(crate) mod headers;
mod list;
mod multipart;
mod put;

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
    let result = async {
        let route = route?;
        let auth = gw.authenticate(&parts, route.bucket.as_deref()).await?;
        let principal = auth.principal.ok_or_else(|| {
            // Anonymous access needs a bucket ACL or policy granting it.
            S3Error::new(S3ErrorCode::AccessDenied)
        })?;
        let ctx = ReqCtx {
            route,
            parts,
            principal,
        };
        let body = ReqBody {
            incoming,
            payload: auth.payload,
        };
        dispatch(&gw, ctx, body).await.map_err(|ApiError(e)| e)
    }
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
    response::set_header(&mut resp, "x-amz-request-id", &request_id);
    response::set_header(&mut resp, "x-amz-id-2", &request_id);
    response::set_header(&mut resp, "server", "Tessera");
    let status = resp.status().as_u16();
    gw.metrics
        .observe(op, status, started.elapsed().as_secs_f64());
    let _g = span.enter();
    tracing::debug!(
        status,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "done"
    );
    resp
}

async fn dispatch(gw: &Arc<Gateway>, ctx: ReqCtx, body: ReqBody) -> HandlerResult {
    use Endpoint::*;
    match ctx.route.endpoint {
        ListBuckets => bucket::list_buckets(gw, &ctx).await,
        CreateBucket => bucket::create_bucket(gw, &ctx, body).await,
        DeleteBucket => bucket::delete_bucket(gw, &ctx).await,
        HeadBucket => bucket::head_bucket(gw, &ctx).await,
        GetBucketLocation => bucket::get_bucket_location(gw, &ctx).await,
        GetBucketVersioning => bucket::get_bucket_versioning(gw, &ctx).await,
        ListObjects => list::list_objects(gw, &ctx, false).await,
        ListObjectsV2 => list::list_objects(gw, &ctx, true).await,
        ListObjectVersions => list::list_object_versions(gw, &ctx).await,
        ListMultipartUploads => multipart::list_multipart_uploads(gw, &ctx).await,
        DeleteObjects => delete::delete_objects(gw, &ctx, body).await,
        GetObject => get::get_object(gw, &ctx, false).await,
        HeadObject => get::get_object(gw, &ctx, true).await,
        PutObject => put::put_object(gw, &ctx, body).await,
        CopyObject => copy::copy_object(gw, &ctx).await,
        DeleteObject => delete::delete_object(gw, &ctx).await,
        CreateMultipartUpload => multipart::create_multipart_upload(gw, &ctx).await,
        UploadPart => multipart::upload_part(gw, &ctx, body).await,
        UploadPartCopy => multipart::upload_part_copy(gw, &ctx).await,
        CompleteMultipartUpload => multipart::complete_multipart_upload(gw, &ctx, body).await,
        AbortMultipartUpload => multipart::abort_multipart_upload(gw, &ctx).await,
        ListParts => multipart::list_parts(gw, &ctx).await,
        other => Err(S3Error::with_message(
            S3ErrorCode::NotImplemented,
            format!("{} is not implemented yet.", other.name()),
        )
        .into()),
    }
}

/// Loads the request's bucket and checks that the principal may use it.
pub(crate) async fn authorize_bucket(
    gw: &Gateway,
    principal: &Principal,
    bucket: &str,
) -> Result<BucketRecord, ApiError> {
    let record = gw
        .engine
        .meta()
        .get_bucket(bucket)
        .await?
        .ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchBucket).resource(bucket))?;
    if principal.is_root || record.owner == principal.access_key_id {
        Ok(record)
    } else {
        Err(S3Error::new(S3ErrorCode::AccessDenied).into())
    }
}
