//! Redirects: `RedirectAllRequestsTo` and `RoutingRules`, as S3 evaluates
//! them. Rules are tried in order. A rule whose condition names only a key
//! prefix (or that has no condition) applies before the object is looked
//! up; one naming `HttpErrorCodeReturnedEquals` applies only when the
//! request fails with that status (and the key prefix, if also given,
//! matches).

use super::target::Target;
use tessera_s3_protocol::fmt::url_encode_key;
use tessera_s3_protocol::xml::{RedirectAllRequestsTo, RoutingRule};

fn prefix_matches(rule: &RoutingRule, key: &str) -> bool {
    rule.condition
        .as_ref()
        .and_then(|c| c.key_prefix_equals.as_deref())
        .is_none_or(|p| key.starts_with(p))
}

fn error_code(rule: &RoutingRule) -> Option<&str> {
    rule.condition
        .as_ref()
        .and_then(|c| c.http_error_code_returned_equals.as_deref())
}

/// The first rule that redirects a request for `key` before any lookup.
pub(crate) fn before_lookup<'a>(rules: &'a [RoutingRule], key: &str) -> Option<&'a RoutingRule> {
    rules
        .iter()
        .find(|r| error_code(r).is_none() && prefix_matches(r, key))
}

/// The first rule that redirects a request for `key` that failed with
/// `status`.
pub(crate) fn on_error<'a>(
    rules: &'a [RoutingRule],
    key: &str,
    status: u16,
) -> Option<&'a RoutingRule> {
    rules.iter().find(|r| {
        error_code(r).is_some_and(|c| c.trim() == status.to_string()) && prefix_matches(r, key)
    })
}

/// Where `rule` sends a request for `key`: the rule's protocol and host
/// (the request's when not given), and the key with `ReplaceKeyWith` or
/// `ReplaceKeyPrefixWith` applied. On the request's own host, a
/// path-style request keeps its bucket segment.
pub(crate) fn location(rule: &RoutingRule, key: &str, target: &Target) -> String {
    let r = &rule.redirect;
    let protocol = r.protocol.as_deref().unwrap_or(&target.protocol);
    let new_key = if let Some(k) = &r.replace_key_with {
        k.clone()
    } else if let Some(p) = &r.replace_key_prefix_with {
        let matched = rule
            .condition
            .as_ref()
            .and_then(|c| c.key_prefix_equals.as_deref())
            .unwrap_or("");
        format!("{p}{}", key.strip_prefix(matched).unwrap_or(key))
    } else {
        key.to_string()
    };
    match &r.host_name {
        Some(host) => format!("{protocol}://{host}/{}", url_encode_key(&new_key)),
        None => format!("{protocol}://{}{}", target.host, target.path_of(&new_key)),
    }
}

/// Where `RedirectAllRequestsTo` sends a request for `key`.
pub(crate) fn redirect_all(to: &RedirectAllRequestsTo, key: &str, target: &Target) -> String {
    let protocol = to.protocol.as_deref().unwrap_or(&target.protocol);
    format!("{protocol}://{}/{}", to.host_name, url_encode_key(key))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use tessera_s3_protocol::xml::{Condition, Redirect};

    fn rule(prefix: Option<&str>, code: Option<&str>, redirect: Redirect) -> RoutingRule {
        RoutingRule {
            condition: (prefix.is_some() || code.is_some()).then(|| Condition {
                key_prefix_equals: prefix.map(str::to_string),
                http_error_code_returned_equals: code.map(str::to_string),
            }),
            redirect,
        }
    }

    fn target(path_style: bool) -> Target {
        Target {
            bucket: "site".into(),
            key: String::new(),
            path_style,
            host: "127.0.0.1:9080".into(),
            protocol: "http".into(),
        }
    }

    #[test]
    fn rules_apply_in_order_and_build_locations() {
        let rules = vec![
            rule(
                Some("docs/"),
                None,
                Redirect {
                    replace_key_prefix_with: Some("documents/".into()),
                    ..Default::default()
                },
            ),
            rule(
                None,
                Some("404"),
                Redirect {
                    host_name: Some("example.com".into()),
                    protocol: Some("https".into()),
                    replace_key_with: Some("missing page.html".into()),
                    http_redirect_code: Some("302".into()),
                    ..Default::default()
                },
            ),
        ];
        let r = before_lookup(&rules, "docs/a.html").unwrap();
        assert_eq!(
            location(r, "docs/a.html", &target(true)),
            "http://127.0.0.1:9080/site/documents/a.html"
        );
        assert_eq!(
            location(r, "docs/a.html", &target(false)),
            "http://127.0.0.1:9080/documents/a.html"
        );
        assert!(before_lookup(&rules, "doc").is_none());
        assert!(on_error(&rules, "x", 403).is_none());
        let r = on_error(&rules, "x", 404).unwrap();
        assert_eq!(r.redirect_code(), 302);
        assert_eq!(
            location(r, "x", &target(true)),
            "https://example.com/missing%20page.html"
        );
        let all = RedirectAllRequestsTo {
            host_name: "example.org".into(),
            protocol: None,
        };
        assert_eq!(
            redirect_all(&all, "a/b", &target(true)),
            "http://example.org/a/b"
        );
    }
}
