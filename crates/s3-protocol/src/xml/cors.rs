//! PutBucketCors / GetBucketCors: the `CORSConfiguration` document, its
//! validation, and the rule matching CORS requests are judged by.

use super::{from_xml, malformed, ToXml, XmlWriter};
use crate::error::{S3Error, S3ErrorCode};
use serde::Deserialize;

/// The most rules one configuration may hold.
pub const MAX_CORS_RULES: usize = 100;

/// The methods a rule may allow.
pub const CORS_METHODS: [&str; 5] = ["GET", "PUT", "POST", "DELETE", "HEAD"];

/// The PutBucketCors request and GetBucketCors response. Parse it with
/// [`CorsConfiguration::parse`], which validates it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct CorsConfiguration {
    /// `CORSRule+`, in the order they are evaluated.
    #[serde(rename = "CORSRule", default)]
    pub rules: Vec<CorsRule>,
}

/// One rule: which origins may use which methods and headers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct CorsRule {
    /// `ID`
    #[serde(rename = "ID", default)]
    pub id: Option<String>,
    /// `AllowedOrigin+`: an origin, with at most one `*` wildcard.
    #[serde(rename = "AllowedOrigin", default)]
    pub allowed_origins: Vec<String>,
    /// `AllowedMethod+`: GET, PUT, POST, DELETE or HEAD.
    #[serde(rename = "AllowedMethod", default)]
    pub allowed_methods: Vec<String>,
    /// `AllowedHeader*`: header names (any case), at most one `*` each.
    #[serde(rename = "AllowedHeader", default)]
    pub allowed_headers: Vec<String>,
    /// `ExposeHeader*`: response headers the browser may show the script.
    #[serde(rename = "ExposeHeader", default)]
    pub expose_headers: Vec<String>,
    /// `MaxAgeSeconds`: how long a browser may cache a preflight answer.
    #[serde(rename = "MaxAgeSeconds", default)]
    pub max_age_seconds: Option<u64>,
}

fn invalid_request(message: String) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidRequest, message)
}

impl CorsConfiguration {
    /// Parses and validates a PutBucketCors body: `MalformedXML` for a
    /// document that is not well formed, has no rule or more than
    /// [`MAX_CORS_RULES`], or a rule without an origin or a method;
    /// `InvalidRequest` for a method outside [`CORS_METHODS`], an origin or
    /// allowed header with more than one wildcard, or a wildcard in an
    /// exposed header.
    pub fn parse(body: &[u8]) -> Result<Self, S3Error> {
        let doc: CorsConfiguration = from_xml(body)?;
        doc.validate()?;
        Ok(doc)
    }

    /// The checks of [`CorsConfiguration::parse`].
    pub fn validate(&self) -> Result<(), S3Error> {
        if self.rules.is_empty() || self.rules.len() > MAX_CORS_RULES {
            return Err(malformed());
        }
        for rule in &self.rules {
            if rule.allowed_origins.is_empty() || rule.allowed_methods.is_empty() {
                return Err(malformed());
            }
            if let Some(m) = rule
                .allowed_methods
                .iter()
                .find(|m| !CORS_METHODS.contains(&m.as_str()))
            {
                return Err(invalid_request(format!(
                    "Found unsupported HTTP method in CORS config. Unsupported method is {m}"
                )));
            }
            if let Some(o) = rule.allowed_origins.iter().find(|o| wildcards(o) > 1) {
                return Err(invalid_request(format!(
                    "AllowedOrigin \"{o}\" can not have more than one wildcard."
                )));
            }
            if let Some(h) = rule.allowed_headers.iter().find(|h| wildcards(h) > 1) {
                return Err(invalid_request(format!(
                    "AllowedHeader \"{h}\" can not have more than one wildcard."
                )));
            }
            if let Some(h) = rule.expose_headers.iter().find(|h| wildcards(h) > 0) {
                return Err(invalid_request(format!(
                    "ExposeHeader \"{h}\" contains wildcard. We currently do not support wildcard for ExposeHeader."
                )));
            }
        }
        Ok(())
    }

    /// The first rule that allows `origin` to use `method` with every one
    /// of `headers` (the names of `Access-Control-Request-Headers`).
    pub fn find_rule(&self, origin: &str, method: &str, headers: &[&str]) -> Option<&CorsRule> {
        self.rules.iter().find(|r| {
            r.matches_origin(origin)
                && r.allows_method(method)
                && headers.iter().all(|h| r.allows_header(h))
        })
    }
}

fn wildcards(s: &str) -> usize {
    s.matches('*').count()
}

/// Whether `value` matches `pattern`, which holds at most one `*` standing
/// for any run of characters (the empty one included).
pub fn wildcard_match(pattern: &str, value: &str, ignore_case: bool) -> bool {
    let eq = |a: &str, b: &str| {
        if ignore_case {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    };
    match pattern.split_once('*') {
        None => eq(pattern, value),
        Some((prefix, suffix)) => {
            value.len() >= prefix.len() + suffix.len()
                && value.is_char_boundary(prefix.len())
                && value.is_char_boundary(value.len() - suffix.len())
                && eq(&value[..prefix.len()], prefix)
                && eq(&value[value.len() - suffix.len()..], suffix)
        }
    }
}

impl CorsRule {
    /// Whether an `AllowedOrigin` matches `origin` (case-sensitive).
    pub fn matches_origin(&self, origin: &str) -> bool {
        self.allowed_origins
            .iter()
            .any(|o| wildcard_match(o, origin, false))
    }

    /// Whether the rule allows `method`.
    pub fn allows_method(&self, method: &str) -> bool {
        self.allowed_methods.iter().any(|m| m == method)
    }

    /// Whether an `AllowedHeader` matches `header` (case-insensitive).
    pub fn allows_header(&self, header: &str) -> bool {
        self.allowed_headers
            .iter()
            .any(|h| wildcard_match(h, header, true))
    }

    /// Whether the rule allows every origin (`AllowedOrigin` `*`): the
    /// answer then names `*` rather than the request's origin.
    pub fn any_origin(&self) -> bool {
        self.allowed_origins.iter().any(|o| o == "*")
    }
}

impl ToXml for CorsConfiguration {
    const ROOT: &'static str = "CORSConfiguration";
    fn write_children(&self, w: &mut XmlWriter) {
        for r in &self.rules {
            w.start("CORSRule").opt("ID", r.id.as_deref());
            for (name, values) in [
                ("AllowedHeader", &r.allowed_headers),
                ("AllowedMethod", &r.allowed_methods),
                ("AllowedOrigin", &r.allowed_origins),
                ("ExposeHeader", &r.expose_headers),
            ] {
                for v in values {
                    w.elem(name, v);
                }
            }
            w.opt_value("MaxAgeSeconds", r.max_age_seconds)
                .end("CORSRule");
        }
    }
}
