//! The bucket policy's say on a request: builds the policy language's view
//! of it (principal, action, resource ARN, condition keys) and evaluates
//! the bucket's policy document.

use crate::access::Access;
use tessera_policy::{Context, Decision, Policy, Request};

/// The condition keys Tessera provides.
fn context(a: &Access<'_>) -> Context {
    let mut c = Context::new();
    let env = a.env;
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
    if let Some(p) = a.principal {
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

/// What the bucket policy decides (`NotApplicable` without a policy). A
/// stored policy that no longer parses denies nothing and allows nothing.
pub(crate) fn evaluate(a: &Access<'_>) -> Decision {
    let Some(doc) = &a.bucket.policy else {
        return Decision::NotApplicable;
    };
    let policy = match Policy::parse(doc, &a.bucket.name) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(bucket = %a.bucket.name, error = %e, "stored bucket policy does not parse");
            return Decision::NotApplicable;
        }
    };
    let resource = match a.key {
        Some(k) => format!("arn:aws:s3:::{}/{}", a.bucket.name, k),
        None => format!("arn:aws:s3:::{}", a.bucket.name),
    };
    policy.evaluate(&Request {
        principal: a.principal.map(|p| p.access_key_id.as_str()),
        action: a.action,
        resource: &resource,
        context: &context(a),
    })
}
