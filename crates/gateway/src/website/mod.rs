//! The website endpoint: serves buckets that have a website configuration
//! as static sites, on a listener of its own, to anonymous browsers.
//!
//! GET and HEAD only (405 otherwise). Every request is judged as an
//! anonymous one, whatever it carries: an object is served only when the
//! bucket policy or the object's ACL lets anyone read it (403 otherwise).
//! `/` and keys ending in `/` get the index document's suffix; a key `dir`
//! that does not exist while `dir/<suffix>` does is redirected (302) to
//! `dir/`. Errors are HTML pages, or the configured error document served
//! with the error's status. `RedirectAllRequestsTo` and `RoutingRules`
//! redirect as S3 does (see [`routing`]). Objects are answered by the same
//! code as GetObject: Content-Type, ETag, Last-Modified, Content-Length,
//! ranges and conditional requests.

mod page;
mod routing;
mod target;

use crate::access::{Judge, RequestEnv};
use crate::body::Body;
use crate::context::new_request_id;
use crate::response::{self, HttpResponse};
use crate::Gateway;
use hyper::body::Incoming;
use page::{no_such_key, redirect, ErrorPage};
use std::sync::Arc;
use std::time::Instant;
use target::Target;
use tessera_s3_protocol::xml::{from_xml, WebsiteConfiguration};
use tessera_s3_protocol::{S3Error, S3ErrorCode};
use tessera_types::{BucketRecord, ObjectRecord};
use tracing::{info_span, Instrument};

/// A request being answered.
struct Req<'a> {
    gw: &'a Gateway,
    parts: &'a http::request::Parts,
    target: Target,
    env: RequestEnv,
    request_id: &'a str,
    head: bool,
}

/// Answers one website request. `domains` are the website domains:
/// `BUCKET.<domain>` addresses BUCKET.
pub async fn handle(
    gw: Arc<Gateway>,
    domains: Arc<Vec<String>>,
    req: http::Request<Incoming>,
) -> http::Response<Body> {
    let started = Instant::now();
    let request_id = new_request_id();
    let (parts, _body) = req.into_parts();
    let head = parts.method == http::Method::HEAD;
    let span = info_span!("website", request_id = %request_id, path = %parts.uri.path());
    let resp = answer(&gw, &parts, &domains, &request_id, head)
        .instrument(span.clone())
        .await;
    response::finish(&gw, resp, "Website", &request_id, started, &span)
}

async fn answer(
    gw: &Gateway,
    parts: &http::request::Parts,
    domains: &[String],
    request_id: &str,
    head: bool,
) -> HttpResponse {
    let plain_error = |e: S3Error| {
        ErrorPage {
            error: &e,
            request_id,
            error_document: None,
        }
        .response(head)
    };
    if parts.method != http::Method::GET && !head {
        return plain_error(
            S3Error::new(S3ErrorCode::MethodNotAllowed)
                .extra("Method", parts.method.as_str())
                .extra("ResourceType", "OBJECT"),
        );
    }
    let target = match target::parse(parts, domains) {
        Ok(t) => t,
        Err(e) => return plain_error(e),
    };
    let no_such_bucket =
        || plain_error(S3Error::new(S3ErrorCode::NoSuchBucket).extra("BucketName", &target.bucket));
    if target.bucket.is_empty() {
        return no_such_bucket();
    }
    let record = match gw.engine.meta().get_bucket(&target.bucket).await {
        Ok(Some(r)) => r,
        Ok(None) => return no_such_bucket(),
        Err(e) => return plain_error(response::engine_error(e.into())),
    };
    let Some(config) = website_config(&record) else {
        return plain_error(
            S3Error::new(S3ErrorCode::NoSuchWebsiteConfiguration)
                .extra("BucketName", &target.bucket),
        );
    };
    let req = Req {
        gw,
        parts,
        env: RequestEnv::from_parts(parts),
        target,
        request_id,
        head,
    };
    req.serve(&record, &config).await
}

/// The bucket's website configuration, if it has one that parses.
fn website_config(record: &BucketRecord) -> Option<WebsiteConfiguration> {
    let doc = record.website.as_deref()?;
    match from_xml::<WebsiteConfiguration>(doc.as_bytes()) {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::warn!(bucket = %record.name, error = %e, "stored website configuration does not parse");
            None
        }
    }
}

impl Req<'_> {
    /// Whether an anonymous client may read `key` (`object`: its record,
    /// whose ACL counts; `None`: judged by the bucket policy alone).
    fn readable(&self, record: &BucketRecord, key: &str, object: Option<&ObjectRecord>) -> bool {
        Judge::new(None, record, &self.env).allows("s3:GetObject", Some(key), object)
    }

    async fn lookup(&self, key: &str) -> Result<Option<ObjectRecord>, S3Error> {
        self.gw
            .engine
            .meta()
            .get_object(&self.target.bucket, key)
            .await
            .map_err(|e| response::engine_error(e.into()))
    }

    async fn serve(&self, record: &BucketRecord, config: &WebsiteConfiguration) -> HttpResponse {
        let key = self.target.key.as_str();
        if let Some(all) = &config.redirect_all_requests_to {
            return redirect(301, &routing::redirect_all(all, key, &self.target));
        }
        if let Some(rule) = routing::before_lookup(&config.routing_rules, key) {
            return redirect(
                rule.redirect_code(),
                &routing::location(rule, key, &self.target),
            );
        }
        let suffix = config
            .index_document
            .as_ref()
            .map(|i| i.suffix.as_str())
            .unwrap_or("index.html");
        let object_key = if key.is_empty() || key.ends_with('/') {
            format!("{key}{suffix}")
        } else {
            key.to_string()
        };
        let error = match self.object(record, &object_key, &self.parts.headers).await {
            Ok(Some(resp)) => return resp,
            Ok(None) if object_key == key => {
                // `dir` with `dir/<suffix>` present: the client meant `dir/`.
                let index = format!("{key}/{suffix}");
                match self.lookup(&index).await {
                    Ok(Some(_)) => {
                        return redirect(302, &self.target.path_of(&format!("{key}/")));
                    }
                    Ok(None) => self.missing(record, &object_key),
                    Err(e) => e,
                }
            }
            Ok(None) => self.missing(record, &object_key),
            Err(e) => e,
        };
        self.error(record, config, key, error).await
    }

    /// The object's response under `headers` (conditions, range), `None`
    /// when it does not exist, or why it may not be read.
    async fn object(
        &self,
        record: &BucketRecord,
        key: &str,
        headers: &http::HeaderMap,
    ) -> Result<Option<HttpResponse>, S3Error> {
        let Some(obj) = self.lookup(key).await? else {
            return Ok(None);
        };
        if !self.readable(record, key, Some(&obj)) {
            return Err(S3Error::new(S3ErrorCode::AccessDenied));
        }
        crate::s3::get::object_response(self.gw, &obj, headers, None, self.head).map(Some)
    }

    /// The error for a key that does not exist, as GetObject answers it:
    /// 404 NoSuchKey to a client that could read it and may list the
    /// bucket, 403 to any other (so a public site whose policy grants only
    /// `s3:GetObject` answers missing pages with 403, as S3 does).
    fn missing(&self, record: &BucketRecord, key: &str) -> S3Error {
        let judge = Judge::new(None, record, &self.env);
        let may_list = judge.allows("s3:ListBucket", None, None);
        if may_list && judge.allows("s3:GetObject", Some(key), None) {
            no_such_key(key)
        } else {
            S3Error::new(S3ErrorCode::AccessDenied)
        }
    }

    /// A failed request: an error-code routing rule, else the error
    /// document with the error's status, else an HTML error page.
    async fn error(
        &self,
        record: &BucketRecord,
        config: &WebsiteConfiguration,
        key: &str,
        error: S3Error,
    ) -> HttpResponse {
        let status = error.status();
        if let Some(rule) = routing::on_error(&config.routing_rules, key, status.as_u16()) {
            return redirect(
                rule.redirect_code(),
                &routing::location(rule, key, &self.target),
            );
        }
        let page = |document_error: Option<&S3Error>| {
            ErrorPage {
                error: &error,
                request_id: self.request_id,
                error_document: document_error,
            }
            .response(self.head)
        };
        let Some(doc) = config
            .error_document
            .as_ref()
            .filter(|_| status.is_client_error())
        else {
            return page(None);
        };
        // Sent whole: the request's range and conditions were for the
        // page it asked for.
        let document_error = match self.object(record, &doc.key, &http::HeaderMap::new()).await {
            Ok(Some(mut resp)) => {
                *resp.status_mut() = status;
                return resp;
            }
            Ok(None) => no_such_key(&doc.key),
            Err(e) => e,
        };
        page(Some(&document_error))
    }
}
