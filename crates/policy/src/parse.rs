//! From JSON to a validated [`Policy`], with S3's error messages.

use crate::condition::Condition;
use crate::{Effect, Patterns, Policy, PolicyError, Principals, Statement};
use serde_json::{Map, Value};
use wildmatch::WildMatch;

fn err(msg: impl Into<String>) -> PolicyError {
    PolicyError(msg.into())
}

/// A string or a list of strings, as every multi-valued field may be.
pub(crate) fn strings(v: &Value, what: &str) -> Result<Vec<String>, PolicyError> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                Value::Bool(b) => Ok(b.to_string()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err(err(format!("Invalid value in {what}"))),
            })
            .collect(),
        Value::Bool(b) => Ok(vec![b.to_string()]),
        Value::Number(n) => Ok(vec![n.to_string()]),
        _ => Err(err(format!("Invalid value in {what}"))),
    }
}

pub(crate) fn policy(json: &str, bucket: &str) -> Result<Policy, PolicyError> {
    let doc: Value = serde_json::from_str(json)
        .map_err(|_| err("Policies must be valid JSON and the first byte must be '{'"))?;
    let Value::Object(doc) = doc else {
        return Err(err(
            "Policies must be valid JSON and the first byte must be '{'",
        ));
    };
    for k in doc.keys() {
        if !matches!(k.as_str(), "Version" | "Id" | "Statement") {
            return Err(err(format!("Unknown field {k}")));
        }
    }
    match doc.get("Version") {
        None => {}
        Some(Value::String(v)) if v == "2012-10-17" || v == "2008-10-17" => {}
        Some(_) => return Err(err("Invalid policy document version")),
    }
    let statements = match doc.get("Statement") {
        Some(Value::Array(list)) if !list.is_empty() => list.iter().collect::<Vec<_>>(),
        Some(v @ Value::Object(_)) => vec![v],
        _ => return Err(err("Missing required field Statement")),
    };
    let statements = statements
        .into_iter()
        .map(|s| match s {
            Value::Object(m) => statement(m, bucket),
            _ => Err(err("Statement must be an object")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Policy { statements })
}

/// Exactly one of `a` and `b`: its values and whether it was `b`.
fn one_of<'m>(
    m: &'m Map<String, Value>,
    a: &str,
    b: &str,
) -> Result<(&'m Value, bool), PolicyError> {
    match (m.get(a), m.get(b)) {
        (Some(v), None) => Ok((v, false)),
        (None, Some(v)) => Ok((v, true)),
        (Some(_), Some(_)) => Err(err(format!("Statement cannot have both {a} and {b}"))),
        (None, None) => Err(err(format!("Missing required field {a}"))),
    }
}

fn statement(m: &Map<String, Value>, bucket: &str) -> Result<Statement, PolicyError> {
    for k in m.keys() {
        if !matches!(
            k.as_str(),
            "Sid"
                | "Effect"
                | "Principal"
                | "NotPrincipal"
                | "Action"
                | "NotAction"
                | "Resource"
                | "NotResource"
                | "Condition"
        ) {
            return Err(err(format!("Unknown field {k}")));
        }
    }
    if m.get("Sid").is_some_and(|s| !s.is_string()) {
        return Err(err("Sid must be a string"));
    }
    let effect = match m.get("Effect") {
        Some(Value::String(e)) if e == "Allow" => Effect::Allow,
        Some(Value::String(e)) if e == "Deny" => Effect::Deny,
        Some(Value::String(e)) => return Err(err(format!("Invalid effect: {e}"))),
        _ => return Err(err("Missing required field Effect")),
    };
    let (principal, principal_negated) = one_of(m, "Principal", "NotPrincipal")?;
    let principal = principals(principal)?;
    let (actions, actions_negated) = one_of(m, "Action", "NotAction")?;
    let actions = strings(actions, "Action")?;
    for a in &actions {
        if a != "*" && !a.to_ascii_lowercase().starts_with("s3:") {
            return Err(err("Policy has invalid action"));
        }
    }
    let (resources, resources_negated) = one_of(m, "Resource", "NotResource")?;
    let resources = strings(resources, "Resource")?;
    for r in &resources {
        resource_in_bucket(r, bucket)?;
    }
    let conditions = match m.get("Condition") {
        None => Vec::new(),
        Some(Value::Object(c)) => Condition::parse_block(c)?,
        Some(_) => return Err(err("Condition must be an object")),
    };
    Ok(Statement {
        effect,
        principal,
        principal_negated,
        actions: Patterns {
            negated: actions_negated,
            patterns: actions
                .iter()
                .map(|a| WildMatch::new_case_insensitive(a))
                .collect(),
        },
        resources: Patterns {
            negated: resources_negated,
            patterns: resources.iter().map(|r| WildMatch::new(r)).collect(),
        },
        conditions,
    })
}

/// `*`, `{"AWS": ...}` (and `CanonicalUser`, the same ids).
fn principals(v: &Value) -> Result<Principals, PolicyError> {
    let invalid = || err("Invalid principal in policy");
    let ids = match v {
        Value::String(s) if s == "*" => return Ok(Principals::Everyone),
        Value::Object(m) if !m.is_empty() => {
            let mut ids = Vec::new();
            for (kind, v) in m {
                if kind != "AWS" && kind != "CanonicalUser" {
                    return Err(invalid());
                }
                ids.extend(strings(v, "Principal").map_err(|_| invalid())?);
            }
            ids
        }
        _ => return Err(invalid()),
    };
    if ids.iter().any(|i| i == "*") {
        return Ok(Principals::Everyone);
    }
    let keys = ids
        .iter()
        .map(|id| {
            let key = match id.strip_prefix("arn:aws:iam::") {
                Some(rest) => rest.split_once(":user/").map(|(_, k)| k).unwrap_or(""),
                None => id.as_str(),
            };
            if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric()) {
                Err(invalid())
            } else {
                Ok(key.to_string())
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Principals::Keys(keys))
}

/// A resource of this bucket: `arn:aws:s3:::BUCKET` or `...:BUCKET/...`
/// (wildcards allowed, but it must be able to name something in it).
fn resource_in_bucket(r: &str, bucket: &str) -> Result<(), PolicyError> {
    let invalid = || err("Policy has invalid resource");
    let rest = r.strip_prefix("arn:aws:s3:::").ok_or_else(invalid)?;
    let named = rest.split('/').next().unwrap_or_default();
    if named.is_empty() || !WildMatch::new(named).matches(bucket) {
        return Err(invalid());
    }
    Ok(())
}
