//! Bucket policies in the AWS policy language: [`Policy::parse`] validates a
//! document for one bucket (the errors are S3's `MalformedPolicy` messages)
//! and [`Policy::evaluate`] decides a request against it.
//!
//! Supported: `Version` 2012-10-17 and 2008-10-17, `Statement` (one or a
//! list) with `Sid`, `Effect`, `Principal` / `NotPrincipal` (`*`, or `AWS`
//! naming access key ids, `arn:aws:iam::ACCOUNT:user/KEY` or `*`), `Action` /
//! `NotAction` and `Resource` / `NotResource` with `*` and `?` wildcards, and
//! `Condition` with the String, Numeric, Bool, IpAddress and Null operators,
//! their `...IfExists` forms and the `ForAnyValue:` / `ForAllValues:`
//! qualifiers.

mod condition;
mod parse;

pub use condition::Context;

use wildmatch::WildMatch;

/// Why a policy document was refused: S3's `MalformedPolicy` message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PolicyError(pub String);

/// Whether a statement allows or denies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// The outcome of evaluating a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// A matching statement denies (wins over any Allow).
    Deny,
    /// A matching statement allows, none denies.
    Allow,
    /// No statement applies.
    NotApplicable,
}

/// Who a statement is about.
#[derive(Debug, Clone)]
enum Principals {
    /// `"*"` or `{"AWS": "*"}`: everyone, anonymous included.
    Everyone,
    /// Access key ids.
    Keys(Vec<String>),
}

impl Principals {
    fn matches(&self, who: Option<&str>) -> bool {
        match self {
            Principals::Everyone => true,
            Principals::Keys(keys) => who.is_some_and(|w| keys.iter().any(|k| k == w)),
        }
    }
}

/// A list of patterns, or its negation (`NotAction`, `NotResource`, ...).
#[derive(Debug, Clone)]
struct Patterns {
    negated: bool,
    patterns: Vec<WildMatch>,
}

impl Patterns {
    fn matches(&self, value: &str) -> bool {
        self.patterns.iter().any(|p| p.matches(value)) != self.negated
    }
}

#[derive(Debug, Clone)]
struct Statement {
    effect: Effect,
    principal: Principals,
    principal_negated: bool,
    actions: Patterns,
    resources: Patterns,
    conditions: Vec<condition::Condition>,
}

/// A validated policy.
#[derive(Debug, Clone)]
pub struct Policy {
    statements: Vec<Statement>,
}

/// What a request is, as a policy sees it.
pub struct Request<'a> {
    /// The access key id that signed it; `None` for anonymous requests.
    pub principal: Option<&'a str>,
    /// The IAM action, e.g. `s3:GetObject`.
    pub action: &'a str,
    /// The resource ARN: `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key`.
    pub resource: &'a str,
    /// Condition keys and their values.
    pub context: &'a Context,
}

impl Policy {
    /// Parses and validates `json` as the policy of `bucket`.
    pub fn parse(json: &str, bucket: &str) -> Result<Policy, PolicyError> {
        parse::policy(json, bucket)
    }

    /// Decides `req`: an explicit Deny wins, then an Allow.
    pub fn evaluate(&self, req: &Request<'_>) -> Decision {
        let mut allowed = false;
        for s in &self.statements {
            let applies = s.principal.matches(req.principal) != s.principal_negated
                && s.actions.matches(req.action)
                && s.resources.matches(req.resource)
                && s.conditions.iter().all(|c| c.holds(req.context));
            if applies {
                match s.effect {
                    Effect::Deny => return Decision::Deny,
                    Effect::Allow => allowed = true,
                }
            }
        }
        if allowed {
            Decision::Allow
        } else {
            Decision::NotApplicable
        }
    }
}

#[cfg(test)]
mod tests;
