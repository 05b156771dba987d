//! The bucket policy's say on a request: builds the policy language's view
//! of it (principal, action, resource ARN, condition keys) and evaluates
//! the bucket's policy document.

use crate::access::RequestEnv;
use crate::context::Principal;
use tessera_policy::{Context, Decision, Policy, Request};
use tessera_types::BucketRecord;

/// The condition keys Tessera provides.
pub(crate) fn context(principal: Option<&Principal>, env: &RequestEnv) -> Context {
    let mut c = Context::new();
    if let Some(ip) = env.source_ip {
        c.set("aws:SourceIp", ip.to_string());
    }
    if let Some(ua) = &env.user_agent {
        c.set("aws:UserAgent", ua.clone());
    }
    if let Some(r) = &env.referer {
        c.set("aws:Referer", r.clone());
    }
    c.set("aws:SecureTransport", env.secure_transport.to_string());
    if let Some(p) = principal {
        c.set("aws:username", p.access_key_id.clone());
    }
    for (name, key) in [
        ("prefix", "s3:prefix"),
        ("delimiter", "s3:delimiter"),
        ("max-keys", "s3:max-keys"),
    ] {
        if let Some((_, v)) = env.query.iter().find(|(k, _)| k == name) {
            c.set(key, v.clone());
        }
    }
    for (name, value) in &env.amz_headers {
        let value = if name == "x-amz-copy-source" {
            // `bucket/key`, decoded, as AWS compares it.
            let v = value.trim_start_matches('/');
            percent_encoding::percent_decode_str(v)
                .decode_utf8_lossy()
                .into_owned()
        } else {
            value.clone()
        };
        c.set(&format!("s3:{name}"), value);
    }
    c
}

/// The bucket's policy, parsed. A stored policy that no longer parses
/// (logged) denies nothing and allows nothing.
pub(crate) fn parse(bucket: &BucketRecord) -> Option<Policy> {
    let doc = bucket.policy.as_ref()?;
    Policy::parse(doc, &bucket.name)
        .map_err(|e| {
            tracing::warn!(bucket = %bucket.name, error = %e, "stored bucket policy does not parse");
        })
        .ok()
}

/// What `policy` decides of `principal` doing `action` on `bucket` (on
/// `key`, for object actions): `NotApplicable` without a policy.
pub(crate) fn evaluate(
    policy: Option<&Policy>,
    context: &Context,
    principal: Option<&Principal>,
    bucket: &BucketRecord,
    action: &str,
    key: Option<&str>,
) -> Decision {
    let Some(policy) = policy else {
        return Decision::NotApplicable;
    };
    let resource = match key {
        Some(k) => format!("arn:aws:s3:::{}/{}", bucket.name, k),
        None => format!("arn:aws:s3:::{}", bucket.name),
    };
    policy.evaluate(&Request {
        principal: principal.map(|p| p.access_key_id.as_str()),
        action,
        resource: &resource,
        context,
    })
}
