//! ACLs: GetBucketAcl, PutBucketAcl, GetObjectAcl, PutObjectAcl, and the
//! `x-amz-acl` / `x-amz-grant-*` headers of CreateBucket, PutObject,
//! CopyObject and CreateMultipartUpload.
//!
//! ACLs are stored as set: a canned ACL includes the owner's FULL_CONTROL,
//! grants given one by one are exactly those grants (the owner keeps full
//! access regardless). Objects are owned by their bucket's owner.

use super::ReqBody;
use crate::body;
use crate::context::ReqCtx;
use crate::response::{self, HandlerResult};
use crate::Gateway;
use http::StatusCode;
use tessera_s3_protocol::xml::{self, to_xml, AccessControlPolicy, XmlGrant, XmlGrantee};
use tessera_s3_protocol::{S3Error, S3ErrorCode};
use tessera_types::meta::BucketConfig;
use tessera_types::{Acl, CannedAcl, Grant, Grantee, Permission};

/// Largest ACL document accepted.
const MAX_ACL_DOC: usize = 64 * 1024;

/// The `x-amz-grant-*` headers and the permission each gives.
const GRANT_HEADERS: [(&str, Permission); 5] = [
    ("x-amz-grant-read", Permission::Read),
    ("x-amz-grant-write", Permission::Write),
    ("x-amz-grant-read-acp", Permission::ReadAcp),
    ("x-amz-grant-write-acp", Permission::WriteAcp),
    ("x-amz-grant-full-control", Permission::FullControl),
];

fn invalid(message: impl Into<String>) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidArgument, message)
}

/// Parses one `x-amz-grant-*` value: `id="KEY", uri="http://..."`.
fn header_grantees(value: &str) -> Result<Vec<Grantee>, S3Error> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            let (kind, v) = item
                .split_once('=')
                .ok_or_else(|| invalid(format!("Invalid grant: {item}")))?;
            let v = v.trim().trim_matches('"');
            match kind.trim().to_ascii_lowercase().as_str() {
                "id" => Ok(Grantee::User(v.to_string())),
                "uri" => {
                    Grantee::group(v).ok_or_else(|| invalid(format!("Invalid group uri: {v}")))
                }
                "emailaddress" => Err(S3Error::new(S3ErrorCode::UnresolvableGrantByEmailAddress)),
                _ => Err(invalid(format!("Invalid grant: {item}"))),
            }
        })
        .collect()
}

/// The ACL a write asks for with `x-amz-acl` or `x-amz-grant-*` (`None`
/// when it asks for nothing: private). `owner` owns the new resource and
/// `bucket_owner` its bucket.
pub(crate) async fn requested_acl(
    gw: &Gateway,
    h: &http::HeaderMap,
    owner: &str,
    bucket_owner: &str,
) -> Result<Option<Acl>, S3Error> {
    let canned = h
        .get("x-amz-acl")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string());
    let mut grants = Vec::new();
    for (name, permission) in GRANT_HEADERS {
        for value in h.get_all(name) {
            let value = value
                .to_str()
                .map_err(|_| invalid(format!("Invalid value of {name}")))?;
            for grantee in header_grantees(value)? {
                grants.push(Grant {
                    grantee,
                    permission,
                });
            }
        }
    }
    let acl = match (canned, grants.is_empty()) {
        (Some(_), false) => {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidRequest,
                "Specifying both Canned ACLs and Header Grants is not allowed",
            ))
        }
        (Some(c), true) => CannedAcl::parse(&c)
            .ok_or_else(|| invalid(format!("The canned ACL {c:?} is not valid.")))?
            .to_acl(owner, bucket_owner),
        (None, false) => Acl { grants },
        (None, true) => return Ok(None),
    };
    check_grantees(gw, &acl).await?;
    Ok(Some(acl))
}

/// The ACL a new object of `bucket` gets from the request's headers
/// (`private` when none). Granting anyone but the owner anything needs
/// `s3:PutObjectAcl` too.
pub(crate) async fn object_acl(
    gw: &Gateway,
    ctx: &ReqCtx,
    bucket: &tessera_types::BucketRecord,
) -> Result<Acl, S3Error> {
    let owner = &bucket.owner;
    let Some(acl) = requested_acl(gw, &ctx.parts.headers, owner, owner).await? else {
        return Ok(CannedAcl::private(owner));
    };
    let grants_others = acl
        .grants
        .iter()
        .any(|g| g.grantee != Grantee::User(owner.clone()));
    if grants_others && !super::may(ctx, bucket, "s3:PutObjectAcl", Some(ctx.key())) {
        return Err(S3Error::new(S3ErrorCode::AccessDenied));
    }
    Ok(acl)
}

/// Every user named in `acl` must be a known access key.
async fn check_grantees(gw: &Gateway, acl: &Acl) -> Result<(), S3Error> {
    for g in &acl.grants {
        if let Grantee::User(id) = &g.grantee {
            if !gw.principal_exists(id).await? {
                return Err(invalid("Invalid id"));
            }
        }
    }
    Ok(())
}

/// The ACL a PutBucketAcl / PutObjectAcl sets: from the headers, or from the
/// AccessControlPolicy body, exactly as given.
async fn acl_from_request(
    gw: &Gateway,
    ctx: &ReqCtx,
    body: ReqBody,
    owner: &str,
    bucket_owner: &str,
) -> Result<Acl, S3Error> {
    let doc = body::read_small(
        body.incoming,
        &body.payload,
        &ctx.parts.headers,
        MAX_ACL_DOC,
    )
    .await?;
    let from_headers = requested_acl(gw, &ctx.parts.headers, owner, bucket_owner).await?;
    let has_body = !doc.iter().all(|b| b.is_ascii_whitespace());
    match (from_headers, has_body) {
        (Some(_), true) => Err(S3Error::with_message(
            S3ErrorCode::UnexpectedContent,
            "This request does not support content",
        )),
        (Some(acl), false) => Ok(acl),
        (None, false) => Err(S3Error::with_message(
            S3ErrorCode::MissingSecurityHeader,
            "Your request was missing a required header",
        )
        .extra("MissingHeaderName", "x-amz-acl")),
        (None, true) => {
            let policy = AccessControlPolicy::parse(&doc)?;
            let mut grants = Vec::with_capacity(policy.grants.len());
            for g in policy.grants {
                let permission = Permission::parse(&g.permission)
                    .ok_or_else(|| S3Error::new(S3ErrorCode::MalformedACLError))?;
                let grantee = match g.grantee {
                    XmlGrantee::CanonicalUser { id, .. } => Grantee::User(id),
                    XmlGrantee::Group { uri } => Grantee::group(&uri)
                        .ok_or_else(|| invalid(format!("Invalid group uri: {uri}")))?,
                    XmlGrantee::Email { .. } => {
                        return Err(S3Error::new(S3ErrorCode::UnresolvableGrantByEmailAddress))
                    }
                };
                grants.push(Grant {
                    grantee,
                    permission,
                });
            }
            let acl = Acl { grants };
            check_grantees(gw, &acl).await?;
            Ok(acl)
        }
    }
}

/// The AccessControlPolicy document of a resource owned by `owner`.
async fn render(gw: &Gateway, owner: &str, acl: &Acl) -> String {
    let mut names = std::collections::HashMap::new();
    for id in std::iter::once(owner).chain(acl.grants.iter().filter_map(|g| match &g.grantee {
        Grantee::User(id) => Some(id.as_str()),
        _ => None,
    })) {
        if !names.contains_key(id) {
            names.insert(id.to_string(), gw.display_name(id).await);
        }
    }
    let user = |id: &str| XmlGrantee::CanonicalUser {
        id: id.to_string(),
        display_name: names.get(id).cloned().unwrap_or_else(|| id.to_string()),
    };
    let grants = acl
        .grants
        .iter()
        .map(|g| XmlGrant {
            grantee: match &g.grantee {
                Grantee::User(id) => user(id),
                Grantee::AllUsers => XmlGrantee::Group {
                    uri: tessera_types::acl::ALL_USERS_URI.into(),
                },
                Grantee::AuthenticatedUsers => XmlGrantee::Group {
                    uri: tessera_types::acl::AUTHENTICATED_USERS_URI.into(),
                },
            },
            permission: g.permission.as_str().into(),
        })
        .collect();
    to_xml(&AccessControlPolicy {
        owner: xml::Owner {
            id: owner.to_string(),
            display_name: names.get(owner).cloned().unwrap_or_default(),
        },
        grants,
    })
}

pub(crate) async fn get_bucket_acl(gw: &Gateway, ctx: &ReqCtx) -> HandlerResult {
    let b = super::authorize_bucket(gw, ctx).await?;
    Ok(response::xml(render(gw, &b.owner, &b.acl).await))
}

pub(crate) async fn put_bucket_acl(gw: &Gateway, ctx: &ReqCtx, body: ReqBody) -> HandlerResult {
    let b = super::authorize_bucket(gw, ctx).await?;
    let acl = acl_from_request(gw, ctx, body, &b.owner, &b.owner).await?;
    gw.engine
        .meta()
        .set_bucket_config(ctx.bucket(), BucketConfig::Acl(acl))
        .await?;
    tracing::info!(bucket = ctx.bucket(), "bucket ACL set");
    Ok(response::status(StatusCode::OK))
}

async fn load_object(gw: &Gateway, ctx: &ReqCtx) -> Result<tessera_types::ObjectRecord, S3Error> {
    gw.engine
        .meta()
        .get_object(ctx.bucket(), ctx.key())
        .await
        .map_err(|e| response::engine_error(e.into()))?
        .ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchKey).extra("Key", ctx.key()))
}

pub(crate) async fn get_object_acl(gw: &Gateway, ctx: &ReqCtx) -> HandlerResult {
    super::authorize_bucket(gw, ctx).await?;
    let o = load_object(gw, ctx).await?;
    Ok(response::xml(render(gw, &o.owner, &o.acl).await))
}

pub(crate) async fn put_object_acl(gw: &Gateway, ctx: &ReqCtx, body: ReqBody) -> HandlerResult {
    let b = super::authorize_bucket(gw, ctx).await?;
    let o = load_object(gw, ctx).await?;
    let acl = acl_from_request(gw, ctx, body, &o.owner, &b.owner).await?;
    gw.engine
        .meta()
        .set_object_acl(ctx.bucket(), ctx.key(), acl)
        .await?;
    Ok(response::status(StatusCode::OK))
}
