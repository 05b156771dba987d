//! Per-request context handed to every handler.

use std::sync::OnceLock;
use tessera_s3_protocol::router::Route;
use tessera_types::BucketRecord;

/// Who signed the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub access_key_id: String,
    /// The root key administers every bucket.
    pub is_root: bool,
}

impl Principal {
    /// The caller of an unsigned request.
    pub fn anonymous() -> Principal {
        Principal {
            access_key_id: String::new(),
            is_root: false,
        }
    }

    pub fn is_anonymous(&self) -> bool {
        self.access_key_id.is_empty()
    }
}

/// Everything a handler needs to know about the request besides its body.
pub struct ReqCtx {
    pub route: Route,
    pub parts: http::request::Parts,
    pub principal: Principal,
    /// The request's bucket as the handler loaded it, kept for the CORS
    /// headers of requests that carry `Origin` (so that they need no second
    /// metadata read).
    pub bucket_record: OnceLock<BucketRecord>,
}

impl ReqCtx {
    /// The principal, unless the request is anonymous.
    pub fn signed_principal(&self) -> Option<&Principal> {
        (!self.principal.is_anonymous()).then_some(&self.principal)
    }

    pub fn bucket(&self) -> &str {
        self.route.bucket.as_deref().unwrap_or_default()
    }
    pub fn key(&self) -> &str {
        self.route.key.as_deref().unwrap_or_default()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.parts.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn query(&self, name: &str) -> Option<&str> {
        self.route.query(name)
    }

    /// Keeps the record of the request's bucket for the CORS headers, when
    /// the request is a CORS request.
    pub fn remember_bucket(&self, record: &BucketRecord) {
        if record.name == self.bucket() && self.parts.headers.contains_key(http::header::ORIGIN) {
            let _ = self.bucket_record.set(record.clone());
        }
    }
}

/// A short random request id, as in `x-amz-request-id`.
pub fn new_request_id() -> String {
    use rand::Rng;
    let v: u64 = rand::thread_rng().gen();
    format!("{v:016X}")
}
