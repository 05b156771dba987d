//! Authorization: may this principal (or an anonymous client) perform this
//! action on this bucket or object? Decided from the bucket's owner, its
//! policy, and the bucket's and object's ACLs:
//!
//! 1. an explicit Deny in the bucket policy refuses, whoever asks (except
//!    that the root key may always manage the policy itself, so that a
//!    policy cannot lock the administrator out);
//! 2. the root key and the bucket's owner are allowed;
//! 3. an Allow in the bucket policy allows;
//! 4. an ACL grant allows: the bucket's ACL for bucket actions and object
//!    writes, the object's ACL (and its owner) for object reads and its ACL;
//! 5. anything else is refused.

use crate::context::Principal;
use std::net::{IpAddr, SocketAddr};
use tessera_types::{BucketRecord, ObjectRecord, Permission};

/// The address of the client of a connection, put in every request's
/// extensions by the server.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PeerAddr(pub SocketAddr);

/// What policy conditions may look at besides the principal.
#[derive(Clone, Debug, Default)]
pub(crate) struct RequestEnv {
    pub source_ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    pub referer: Option<String>,
    /// Always false: the gateway speaks plain HTTP (TLS ends in front of it).
    pub secure_transport: bool,
    /// The query parameters (for `s3:prefix`, `s3:delimiter`, `s3:max-keys`).
    pub query: Vec<(String, String)>,
    /// The `x-amz-*` headers (for `s3:x-amz-acl`, `s3:x-amz-copy-source`,
    /// ...), names lower-case.
    pub amz_headers: Vec<(String, String)>,
}

impl RequestEnv {
    pub(crate) fn from_parts(parts: &http::request::Parts) -> RequestEnv {
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let query = parts
            .uri
            .query()
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        RequestEnv {
            source_ip: parts.extensions.get::<PeerAddr>().map(|p| p.0.ip()),
            user_agent: header("user-agent"),
            referer: header("referer"),
            secure_transport: false,
            query,
            amz_headers: parts
                .headers
                .iter()
                .filter(|(n, _)| n.as_str().starts_with("x-amz-"))
                .filter_map(|(n, v)| Some((n.as_str().to_string(), v.to_str().ok()?.to_string())))
                .collect(),
        }
    }
}

/// Decides what one request may do in one bucket. The bucket's policy is
/// parsed, and the request's condition keys gathered, once: a
/// multi-object delete asks for every key.
pub(crate) struct Judge<'a> {
    /// `None`: an anonymous request.
    principal: Option<&'a Principal>,
    bucket: &'a BucketRecord,
    policy: Option<tessera_policy::Policy>,
    context: tessera_policy::Context,
}

/// The ACL permission an action needs, and whether it is checked against
/// the object's ACL (else the bucket's).
fn acl_permission(action: &str) -> Option<(Permission, bool)> {
    Some(match action {
        "s3:GetObject" => (Permission::Read, true),
        "s3:GetObjectAcl" => (Permission::ReadAcp, true),
        "s3:PutObjectAcl" => (Permission::WriteAcp, true),
        "s3:ListBucket" | "s3:ListBucketMultipartUploads" | "s3:ListBucketVersions" => {
            (Permission::Read, false)
        }
        "s3:PutObject"
        | "s3:DeleteObject"
        | "s3:AbortMultipartUpload"
        | "s3:ListMultipartUploadParts" => (Permission::Write, false),
        "s3:GetBucketAcl" => (Permission::ReadAcp, false),
        "s3:PutBucketAcl" => (Permission::WriteAcp, false),
        _ => return None,
    })
}

/// Whether the object's own ACL (and owner) may decide `action`.
pub(crate) fn uses_object_acl(action: &str) -> bool {
    acl_permission(action).is_some_and(|(_, on_object)| on_object)
}

impl<'a> Judge<'a> {
    pub(crate) fn new(
        principal: Option<&'a Principal>,
        bucket: &'a BucketRecord,
        env: &RequestEnv,
    ) -> Judge<'a> {
        Judge {
            principal,
            bucket,
            policy: crate::policy::parse(bucket),
            context: crate::policy::context(principal, env),
        }
    }

    fn who(&self) -> Option<&str> {
        self.principal.map(|p| p.access_key_id.as_str())
    }

    fn is_root(&self) -> bool {
        self.principal.is_some_and(|p| p.is_root)
    }

    /// Whether an ACL grant (or object ownership) allows `action`.
    fn acl_allows(&self, action: &str, object: Option<&ObjectRecord>) -> bool {
        let Some((permission, on_object)) = acl_permission(action) else {
            return false;
        };
        if on_object {
            let Some(object) = object else {
                return false;
            };
            self.who() == Some(object.owner.as_str()) || object.acl.allows(self.who(), permission)
        } else {
            self.bucket.acl.allows(self.who(), permission)
        }
    }

    /// Whether the principal may do `action` on the bucket (on `key`, for
    /// object actions); `object` is the key's current record, when the
    /// action is on an existing object (its owner and ACL count).
    pub(crate) fn allows(
        &self,
        action: &'static str,
        key: Option<&str>,
        object: Option<&ObjectRecord>,
    ) -> bool {
        use tessera_policy::Decision;
        let policy = crate::policy::evaluate(
            self.policy.as_ref(),
            &self.context,
            self.principal,
            self.bucket,
            action,
            key,
        );
        let manages_policy = matches!(
            action,
            "s3:GetBucketPolicy" | "s3:PutBucketPolicy" | "s3:DeleteBucketPolicy"
        );
        if policy == Decision::Deny && !(self.is_root() && manages_policy) {
            return false;
        }
        if self.is_root() || self.who() == Some(self.bucket.owner.as_str()) {
            return true;
        }
        policy == Decision::Allow || self.acl_allows(action, object)
    }
}
