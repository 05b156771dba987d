//! DeleteObject and DeleteObjects.

use super::ReqBody;
use crate::body;
use crate::context::ReqCtx;
use crate::response::{self, HandlerResult};
use crate::Gateway;
use http::StatusCode;
use tessera_s3_protocol::validate::validate_object_key;
use tessera_s3_protocol::xml::{self, to_xml};

/// Largest DeleteObjects request document accepted (1000 keys of 1 KiB plus
/// markup fit well within it).
const MAX_DELETE_DOC: usize = 2 * 1024 * 1024;

pub(crate) async fn delete_object(gw: &Gateway, ctx: &ReqCtx) -> HandlerResult {
    super::authorize_bucket(gw, ctx).await?;
    validate_object_key(ctx.key())?;
    gw.engine
        .meta()
        .delete_object(ctx.bucket(), ctx.key())
        .await?;
    Ok(response::status(StatusCode::NO_CONTENT))
}

pub(crate) async fn delete_objects(gw: &Gateway, ctx: &ReqCtx, body: ReqBody) -> HandlerResult {
    // Permission is judged per key, as for DeleteObject.
    let bucket = super::load_bucket(gw, ctx.bucket()).await?;
    let judge = super::judge(ctx, &bucket);
    ctx.remember_bucket(&bucket);
    let doc = body::read_small(
        body.incoming,
        &body.payload,
        &ctx.parts.headers,
        MAX_DELETE_DOC,
    )
    .await?;
    let req = xml::Delete::parse(&doc)?;
    // Invalid keys are reported one by one; the valid ones are deleted
    // together, in a single metadata commit.
    let mut result = xml::DeleteResult::default();
    let mut valid = Vec::with_capacity(req.objects.len());
    for o in req.objects {
        match validate_object_key(&o.key) {
            Ok(()) if !judge.allows("s3:DeleteObject", Some(&o.key), None) => {
                result.errors.push(xml::DeleteError {
                    key: o.key,
                    version_id: o.version_id,
                    code: "AccessDenied".into(),
                    message: "Access Denied".into(),
                })
            }
            Ok(()) => valid.push(o),
            Err(e) => result.errors.push(xml::DeleteError {
                key: o.key,
                version_id: o.version_id,
                code: e.code.as_str().to_string(),
                message: e.message,
            }),
        }
    }
    let keys = valid.iter().map(|o| o.key.clone()).collect();
    match gw.engine.meta().delete_objects(ctx.bucket(), keys).await {
        Ok(()) if !req.quiet => {
            result.deleted = valid
                .into_iter()
                .map(|o| xml::DeletedObject {
                    key: o.key,
                    version_id: o.version_id,
                    ..Default::default()
                })
                .collect();
        }
        Ok(()) => {}
        Err(e) => {
            let e = response::engine_error(e.into());
            result
                .errors
                .extend(valid.into_iter().map(|o| xml::DeleteError {
                    key: o.key,
                    version_id: o.version_id,
                    code: e.code.as_str().to_string(),
                    message: e.message.clone(),
                }));
        }
    }
    Ok(response::xml(to_xml(&result)))
}
