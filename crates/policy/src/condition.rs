//! The `Condition` block: operators over the request's context keys.

use crate::parse::strings;
use crate::PolicyError;
use ipnet::IpNet;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::net::IpAddr;
use wildmatch::WildMatch;

/// The condition keys of a request and their values (keys compared
/// case-insensitively, as AWS does).
#[derive(Debug, Clone, Default)]
pub struct Context {
    values: HashMap<String, Vec<String>>,
}

impl Context {
    pub fn new() -> Context {
        Context::default()
    }

    /// Sets `key` (e.g. `aws:SourceIp`) to `value`.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.values
            .insert(key.to_ascii_lowercase(), vec![value.into()]);
    }

    fn get(&self, key: &str) -> Option<&[String]> {
        self.values
            .get(&key.to_ascii_lowercase())
            .map(Vec::as_slice)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    Bool,
    IpAddress,
    NotIpAddress,
    Null,
}

impl Op {
    fn parse(name: &str) -> Option<Op> {
        use Op::*;
        Some(match name {
            "StringEquals" => StringEquals,
            "StringNotEquals" => StringNotEquals,
            "StringEqualsIgnoreCase" => StringEqualsIgnoreCase,
            "StringNotEqualsIgnoreCase" => StringNotEqualsIgnoreCase,
            "StringLike" => StringLike,
            "StringNotLike" => StringNotLike,
            "NumericEquals" => NumericEquals,
            "NumericNotEquals" => NumericNotEquals,
            "NumericLessThan" => NumericLessThan,
            "NumericLessThanEquals" => NumericLessThanEquals,
            "NumericGreaterThan" => NumericGreaterThan,
            "NumericGreaterThanEquals" => NumericGreaterThanEquals,
            "Bool" => Bool,
            "IpAddress" => IpAddress,
            "NotIpAddress" => NotIpAddress,
            "Null" => Null,
            _ => return None,
        })
    }

    /// Negated operators hold when no value matches (and when the key is
    /// absent).
    fn negated(self) -> bool {
        matches!(
            self,
            Op::StringNotEquals
                | Op::StringNotEqualsIgnoreCase
                | Op::StringNotLike
                | Op::NumericNotEquals
                | Op::NotIpAddress
        )
    }

    /// The positive test of one request value against one policy value.
    fn test(self, actual: &str, wanted: &str) -> bool {
        use Op::*;
        let num = |s: &str| s.trim().parse::<f64>().ok();
        match self {
            StringEquals | StringNotEquals => actual == wanted,
            StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => {
                actual.eq_ignore_ascii_case(wanted)
            }
            StringLike | StringNotLike => WildMatch::new(wanted).matches(actual),
            NumericEquals | NumericNotEquals => {
                matches!((num(actual), num(wanted)), (Some(a), Some(w)) if a == w)
            }
            NumericLessThan => matches!((num(actual), num(wanted)), (Some(a), Some(w)) if a < w),
            NumericLessThanEquals => {
                matches!((num(actual), num(wanted)), (Some(a), Some(w)) if a <= w)
            }
            NumericGreaterThan => {
                matches!((num(actual), num(wanted)), (Some(a), Some(w)) if a > w)
            }
            NumericGreaterThanEquals => {
                matches!((num(actual), num(wanted)), (Some(a), Some(w)) if a >= w)
            }
            Bool => actual.eq_ignore_ascii_case(wanted),
            IpAddress | NotIpAddress => match (actual.parse::<IpAddr>(), parse_net(wanted)) {
                (Ok(ip), Some(net)) => net.contains(&ip),
                _ => false,
            },
            Null => false,
        }
    }
}

fn parse_net(s: &str) -> Option<IpNet> {
    s.parse::<IpNet>()
        .ok()
        .or_else(|| s.parse::<IpAddr>().ok().map(IpNet::from))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetQualifier {
    None,
    ForAnyValue,
    ForAllValues,
}

/// One operator applied to one key with its allowed values.
#[derive(Debug, Clone)]
pub(crate) struct Condition {
    op: Op,
    if_exists: bool,
    qualifier: SetQualifier,
    key: String,
    values: Vec<String>,
}

impl Condition {
    /// Parses `{"Operator": {"key": value(s), ...}, ...}`.
    pub(crate) fn parse_block(block: &Map<String, Value>) -> Result<Vec<Condition>, PolicyError> {
        let mut out = Vec::new();
        for (name, keys) in block {
            let (qualifier, rest) = if let Some(r) = name.strip_prefix("ForAnyValue:") {
                (SetQualifier::ForAnyValue, r)
            } else if let Some(r) = name.strip_prefix("ForAllValues:") {
                (SetQualifier::ForAllValues, r)
            } else {
                (SetQualifier::None, name.as_str())
            };
            let (base, if_exists) = match rest.strip_suffix("IfExists") {
                Some(b) => (b, true),
                None => (rest, false),
            };
            let op = Op::parse(base)
                .ok_or_else(|| PolicyError(format!("Unknown condition operator: {name}")))?;
            let Value::Object(keys) = keys else {
                return Err(PolicyError(format!(
                    "Condition operator {name} must map keys to values"
                )));
            };
            for (key, values) in keys {
                let values = strings(values, "Condition")?;
                if matches!(op, Op::IpAddress | Op::NotIpAddress)
                    && values.iter().any(|v| parse_net(v).is_none())
                {
                    return Err(PolicyError(format!(
                        "Invalid IP address or CIDR in condition {name}"
                    )));
                }
                out.push(Condition {
                    op,
                    if_exists,
                    qualifier,
                    key: key.clone(),
                    values,
                });
            }
        }
        Ok(out)
    }

    /// Whether the condition holds for `ctx`.
    pub(crate) fn holds(&self, ctx: &Context) -> bool {
        let actual = ctx.get(&self.key);
        if self.op == Op::Null {
            let wants_null = self.values.iter().any(|v| v.eq_ignore_ascii_case("true"));
            return actual.is_none() == wants_null;
        }
        let Some(actual) = actual else {
            return self.if_exists || self.op.negated();
        };
        let matches_any = |a: &String| self.values.iter().any(|w| self.op.test(a, w));
        let positive = match self.qualifier {
            SetQualifier::ForAllValues => actual.iter().all(matches_any),
            SetQualifier::None | SetQualifier::ForAnyValue => actual.iter().any(matches_any),
        };
        positive != self.op.negated()
    }
}
