//! PutBucketWebsite / GetBucketWebsite: the `WebsiteConfiguration`
//! document and its validation.

use super::common::wrapped_list;
use super::{from_xml, malformed, ToXml, XmlWriter};
use crate::error::{S3Error, S3ErrorCode};
use serde::Deserialize;

/// The most routing rules one configuration may hold.
pub const MAX_ROUTING_RULES: usize = 50;

/// The PutBucketWebsite request and GetBucketWebsite response. Parse it
/// with [`WebsiteConfiguration::parse`], which validates it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WebsiteConfiguration {
    /// `RedirectAllRequestsTo`: send every request to another host.
    #[serde(default)]
    pub redirect_all_requests_to: Option<RedirectAllRequestsTo>,
    /// `IndexDocument`: what a request for a "directory" gets.
    #[serde(default)]
    pub index_document: Option<IndexDocument>,
    /// `ErrorDocument`: the object served with 4XX errors.
    #[serde(default)]
    pub error_document: Option<ErrorDocument>,
    /// `RoutingRules/RoutingRule*`, evaluated in order.
    #[serde(deserialize_with = "wrapped_list", default)]
    pub routing_rules: Vec<RoutingRule>,
}

/// `RedirectAllRequestsTo`
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RedirectAllRequestsTo {
    /// `HostName`
    pub host_name: String,
    /// `Protocol`: `http` or `https`; the request's when absent.
    #[serde(default)]
    pub protocol: Option<String>,
}

/// `IndexDocument`
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IndexDocument {
    /// `Suffix`: appended to keys ending in `/` (e.g. `index.html`).
    pub suffix: String,
}

/// `ErrorDocument`
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ErrorDocument {
    /// `Key`: the object to serve.
    pub key: String,
}

/// `RoutingRule`: a redirect, applied when its condition holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoutingRule {
    /// `Condition`: without one, the rule applies to every request.
    #[serde(default)]
    pub condition: Option<Condition>,
    /// `Redirect`
    pub redirect: Redirect,
}

/// `Condition`: every element given must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Condition {
    /// `HttpErrorCodeReturnedEquals`: the status the request would fail with.
    #[serde(default)]
    pub http_error_code_returned_equals: Option<String>,
    /// `KeyPrefixEquals`: the requested key starts with this.
    #[serde(default)]
    pub key_prefix_equals: Option<String>,
}

/// `Redirect`: where a matched request is sent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Redirect {
    /// `HostName`: the request's host when absent.
    #[serde(default)]
    pub host_name: Option<String>,
    /// `HttpRedirectCode`: 301 when absent.
    #[serde(default)]
    pub http_redirect_code: Option<String>,
    /// `Protocol`: the request's when absent.
    #[serde(default)]
    pub protocol: Option<String>,
    /// `ReplaceKeyPrefixWith`: replaces the matched `KeyPrefixEquals`.
    #[serde(default)]
    pub replace_key_prefix_with: Option<String>,
    /// `ReplaceKeyWith`: replaces the whole key.
    #[serde(default)]
    pub replace_key_with: Option<String>,
}

fn invalid_argument(message: &str, name: &str, value: &str) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidArgument, message)
        .extra("ArgumentName", name)
        .extra("ArgumentValue", value)
}

fn invalid_request(message: String) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidRequest, message)
}

fn check_protocol(p: Option<&str>) -> Result<(), S3Error> {
    match p {
        None | Some("http") | Some("https") => Ok(()),
        Some(_) => Err(invalid_request(
            "Invalid protocol, protocol can be http or https. If not defined the protocol will be selected automatically.".into(),
        )),
    }
}

impl WebsiteConfiguration {
    /// Parses and validates a PutBucketWebsite body (see
    /// [`WebsiteConfiguration::validate`]).
    pub fn parse(body: &[u8]) -> Result<Self, S3Error> {
        let doc: WebsiteConfiguration = from_xml(body)?;
        doc.validate()?;
        Ok(doc)
    }

    /// `MalformedXML` for a missing required element or more than
    /// [`MAX_ROUTING_RULES`] rules; `InvalidArgument` for a missing or
    /// malformed index suffix or error key, or `RedirectAllRequestsTo`
    /// given with anything else; `InvalidRequest` for a bad protocol,
    /// redirect code, error code, an empty condition, or both key
    /// replacements in one redirect.
    pub fn validate(&self) -> Result<(), S3Error> {
        if self.routing_rules.len() > MAX_ROUTING_RULES {
            return Err(malformed());
        }
        if let Some(all) = &self.redirect_all_requests_to {
            if self.index_document.is_some()
                || self.error_document.is_some()
                || !self.routing_rules.is_empty()
            {
                return Err(invalid_argument(
                    "RedirectAllRequestsTo cannot be provided in conjunction with other Routing Rules.",
                    "RedirectAllRequestsTo",
                    "not null",
                ));
            }
            if all.host_name.is_empty() {
                return Err(malformed());
            }
            return check_protocol(all.protocol.as_deref());
        }
        let Some(index) = &self.index_document else {
            return Err(invalid_argument(
                "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty",
                "IndexDocument",
                "null",
            ));
        };
        if index.suffix.is_empty() || index.suffix.contains('/') {
            return Err(invalid_argument(
                "The IndexDocument Suffix is not well formed",
                "IndexDocument",
                &index.suffix,
            ));
        }
        if let Some(e) = &self.error_document {
            if e.key.is_empty() {
                return Err(invalid_argument(
                    "The ErrorDocument Key is not well formed",
                    "ErrorDocument",
                    &e.key,
                ));
            }
        }
        self.routing_rules
            .iter()
            .try_for_each(RoutingRule::validate)
    }
}

impl RoutingRule {
    fn validate(&self) -> Result<(), S3Error> {
        if let Some(c) = &self.condition {
            if c.http_error_code_returned_equals.is_none() && c.key_prefix_equals.is_none() {
                return Err(invalid_request(
                    "Condition cannot be empty. To redirect all requests without a condition, the condition element shouldn't be present.".into(),
                ));
            }
            if let Some(code) = &c.http_error_code_returned_equals {
                if !code.parse::<u16>().is_ok_and(|n| (400..600).contains(&n)) {
                    return Err(invalid_request(format!(
                        "The provided HTTP error code ({code}) is not valid. Valid codes are 4XX or 5XX."
                    )));
                }
            }
        }
        let r = &self.redirect;
        if r.replace_key_prefix_with.is_some() && r.replace_key_with.is_some() {
            return Err(invalid_request(
                "You can only define ReplaceKeyPrefix or ReplaceKey but not both.".into(),
            ));
        }
        if let Some(code) = &r.http_redirect_code {
            if !code.parse::<u16>().is_ok_and(|n| (301..400).contains(&n)) {
                return Err(invalid_request(format!(
                    "The provided HTTP redirect code ({code}) is not valid. Valid codes are 3XX except 300."
                )));
            }
        }
        check_protocol(r.protocol.as_deref())
    }

    /// The redirect status: `HttpRedirectCode`, 301 when absent.
    pub fn redirect_code(&self) -> u16 {
        self.redirect
            .http_redirect_code
            .as_deref()
            .and_then(|c| c.parse().ok())
            .unwrap_or(301)
    }
}

impl ToXml for WebsiteConfiguration {
    const ROOT: &'static str = "WebsiteConfiguration";
    fn write_children(&self, w: &mut XmlWriter) {
        if let Some(all) = &self.redirect_all_requests_to {
            w.start("RedirectAllRequestsTo")
                .elem("HostName", &all.host_name)
                .opt("Protocol", all.protocol.as_deref())
                .end("RedirectAllRequestsTo");
        }
        if let Some(i) = &self.index_document {
            w.start("IndexDocument")
                .elem("Suffix", &i.suffix)
                .end("IndexDocument");
        }
        if let Some(e) = &self.error_document {
            w.start("ErrorDocument")
                .elem("Key", &e.key)
                .end("ErrorDocument");
        }
        if self.routing_rules.is_empty() {
            return;
        }
        w.start("RoutingRules");
        for rule in &self.routing_rules {
            w.start("RoutingRule");
            if let Some(c) = &rule.condition {
                w.start("Condition")
                    .opt(
                        "HttpErrorCodeReturnedEquals",
                        c.http_error_code_returned_equals.as_deref(),
                    )
                    .opt("KeyPrefixEquals", c.key_prefix_equals.as_deref())
                    .end("Condition");
            }
            let r = &rule.redirect;
            w.start("Redirect")
                .opt("HostName", r.host_name.as_deref())
                .opt("HttpRedirectCode", r.http_redirect_code.as_deref())
                .opt("Protocol", r.protocol.as_deref())
                .opt("ReplaceKeyPrefixWith", r.replace_key_prefix_with.as_deref())
                .opt("ReplaceKeyWith", r.replace_key_with.as_deref())
                .end("Redirect")
                .end("RoutingRule");
        }
        w.end("RoutingRules");
    }
}
