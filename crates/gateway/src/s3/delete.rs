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
    super::authorize_bucket(gw, &ctx.principal, ctx.bucket()).await?;
    validate_object_key(ctx.key())?;
    gw.engine
        .meta()
        .delete_object(ctx.bucket(), ctx.key())
        .await?;
    Ok(response::status(StatusCode::NO_CONTENT))
}

pub(crate) async fn delete_objects(gw: &Gateway, ctx: &ReqCtx, body: ReqBody) -> HandlerResult {
    super::authorize_bucket(gw, &ctx.principal, ctx.bucket()).await?;
    let doc = body::read_small(
        body.incoming,
        &body.payload,
        &ctx.parts.headers,
        MAX_DELETE_DOC,
    )
    .await?;
    let req = xml::Delete::parse(&doc)?;
    let quiet = req.quiet;
    let mut result = xml::DeleteResult::default();
    for o in req.objects {
        let outcome = match validate_object_key(&o.key) {
            Err(e) => Err(e),
            Ok(()) => gw
                .engine
                .meta()
                .delete_object(ctx.bucket(), &o.key)
                .await
                .map(|_| ())
                .map_err(|e| response::engine_error(e.into())),
        };
        match outcome {
            Ok(()) => {
                if !quiet {
                    result.deleted.push(xml::DeletedObject {
                        key: o.key,
                        version_id: o.version_id,
                        ..Default::default()
                    });
                }
            }
            Err(e) => result.errors.push(xml::DeleteError {
                key: o.key,
                version_id: o.version_id,
                code: e.code.as_str().to_string(),
                message: e.message,
            }),
        }
    }
    Ok(response::xml(to_xml(&result)))
}
