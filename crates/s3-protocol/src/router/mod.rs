//! Routing: from method, URI and headers to the S3 operation, bucket and key.
//!
//! Both addressing styles are understood. Virtual-hosted style takes the
//! bucket from the `Host` header (or the URI authority, for HTTP/2) when it
//! ends with one of [`RouterConfig::domains`]; otherwise the request is
//! path-style and the first path segment is the bucket.
//!
//! Decoding follows S3: in the path, `%XX` escapes are decoded and `+` is a
//! literal plus; in the query string `+` is a space (form encoding; SDKs
//! send `%20` and `%2B`, so they are unaffected). Malformed escapes and
//! invalid UTF-8 are `InvalidURI`.
//!
//! Sub-resources S3 has but Tessera does not serve (`?tagging`,
//! `?lifecycle`, `?object-lock`, `?select`, ...) are `NotImplemented`; a
//! method that has no meaning for the resource is `MethodNotAllowed`. Query
//! parameters that are not sub-resources (`versionId`, `x-id`,
//! `response-*`, presigned `X-Amz-*`, unknown names) do not affect routing.

mod endpoint;
mod parse;
#[cfg(test)]
mod tests;

pub use endpoint::Endpoint;

use crate::error::{S3Error, S3ErrorCode};
use http::{HeaderMap, Method, Uri};

/// Router settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RouterConfig {
    /// Virtual-hosted-style suffixes: Host "b.s3.example.com" with domain
    /// "s3.example.com" -> bucket "b". Hosts that are IP addresses,
    /// "localhost", or equal to a domain are path-style.
    pub domains: Vec<String>,
}

/// A routed request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// The S3 operation.
    pub endpoint: Endpoint,
    /// The bucket; `None` only for ListBuckets and a service-level OPTIONS.
    pub bucket: Option<String>,
    /// The object key, percent-decoded UTF-8, exactly as addressed
    /// (`a//b` and a trailing `/` are kept); `None` for bucket operations.
    pub key: Option<String>,
    /// The query parameters, percent-decoded, in request order.
    pub query: Vec<(String, String)>,
}

impl Route {
    /// The value of the first query parameter called `name` (case-sensitive,
    /// as in S3); `Some("")` for a parameter given without a value.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the query string has a parameter called `name`.
    pub fn has_query(&self, name: &str) -> bool {
        self.query.iter().any(|(k, _)| k == name)
    }
}

/// Sub-resources of the S3 API that Tessera does not implement. A request
/// carrying one is answered with `NotImplemented`, never mistaken for a plain
/// GetObject or PutObject.
pub const UNSUPPORTED_SUBRESOURCES: &[&str] = &[
    "abac",
    "accelerate",
    "analytics",
    "attributes",
    "encryption",
    "intelligent-tiering",
    "inventory",
    "legal-hold",
    "lifecycle",
    "logging",
    "metadataConfiguration",
    "metadataInventoryTable",
    "metadataJournalTable",
    "metadataTable",
    "metrics",
    "object-lock",
    "ownershipControls",
    "policyStatus",
    "publicAccessBlock",
    "renameObject",
    "requestPayment",
    "restore",
    "retention",
    "select",
    "session",
    "tagging",
    "torrent",
];

/// Bucket sub-resources that select a configuration document.
const BUCKET_CONFIGS: [&str; 6] = [
    "policy",
    "acl",
    "cors",
    "website",
    "replication",
    "notification",
];

/// Routes a request. Unsupported sub-resources (see
/// [`UNSUPPORTED_SUBRESOURCES`], and `PUT ?versioning`) -> `NotImplemented`;
/// a method not valid for the resource -> `MethodNotAllowed`. PUT with
/// `x-amz-copy-source` -> CopyObject / UploadPartCopy. POST `?delete` ->
/// DeleteObjects, POST `?uploads` -> CreateMultipartUpload, POST `?uploadId`
/// -> CompleteMultipartUpload; PUT with `uploadId` -> UploadPart (the
/// gateway validates `partNumber`). OPTIONS is always [`Endpoint::Options`].
pub fn route(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    cfg: &RouterConfig,
) -> Result<Route, S3Error> {
    let host = headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| uri.authority().map(|a| a.as_str()));
    let vhost = host.and_then(|h| parse::vhost_bucket(h, &cfg.domains));
    let path = uri.path();
    let path = path.strip_prefix('/').unwrap_or(path);

    let decode_path = |s: &str| parse::decode(s, false);
    let (bucket, key) = match vhost {
        Some(bucket) => (Some(bucket), non_empty(path).map(decode_path).transpose()?),
        None => {
            let (b, rest) = path.split_once('/').unwrap_or((path, ""));
            if b.is_empty() && !rest.is_empty() {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidURI,
                    "Couldn't parse the specified URI: empty bucket name.",
                ));
            }
            (
                non_empty(b).map(decode_path).transpose()?,
                non_empty(rest).map(decode_path).transpose()?,
            )
        }
    };
    let query = parse::parse_query(uri.query())?;
    let mut route = Route {
        endpoint: Endpoint::ListBuckets,
        bucket,
        key,
        query,
    };
    route.endpoint = endpoint_for(method, &route, headers)?;
    Ok(route)
}

/// Decodes a URI path as S3 does: `%XX` escapes are decoded, `+` is a
/// literal plus; malformed escapes and invalid UTF-8 are `InvalidURI`.
pub fn decode_path(s: &str) -> Result<String, S3Error> {
    parse::decode(s, false)
}

fn non_empty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

fn method_not_allowed(method: &Method) -> S3Error {
    S3Error::new(S3ErrorCode::MethodNotAllowed).extra("Method", method.as_str())
}

fn endpoint_for(method: &Method, r: &Route, headers: &HeaderMap) -> Result<Endpoint, S3Error> {
    if *method == Method::OPTIONS {
        return Ok(Endpoint::Options);
    }
    if r.bucket.is_none() {
        return match *method {
            Method::GET => Ok(Endpoint::ListBuckets),
            _ => Err(method_not_allowed(method).extra("ResourceType", "SERVICE")),
        };
    }
    if let Some(sub) = UNSUPPORTED_SUBRESOURCES.iter().find(|s| r.has_query(s)) {
        return Err(S3Error::with_message(
            S3ErrorCode::NotImplemented,
            format!("The ?{sub} sub-resource is not implemented"),
        ));
    }
    let copy = headers.contains_key("x-amz-copy-source");
    match r.key {
        None => bucket_endpoint(method, r),
        Some(_) => object_endpoint(method, r, copy),
    }
}

fn bucket_endpoint(method: &Method, r: &Route) -> Result<Endpoint, S3Error> {
    use Endpoint as E;
    let config = BUCKET_CONFIGS.iter().copied().find(|s| r.has_query(s));
    let not_allowed = || Err(method_not_allowed(method).extra("ResourceType", "BUCKET"));
    match *method {
        Method::GET => Ok(match config {
            Some("policy") => E::GetBucketPolicy,
            Some("acl") => E::GetBucketAcl,
            Some("cors") => E::GetBucketCors,
            Some("website") => E::GetBucketWebsite,
            Some("replication") => E::GetBucketReplication,
            Some("notification") => E::GetBucketNotificationConfiguration,
            _ if r.has_query("location") => E::GetBucketLocation,
            _ if r.has_query("versioning") => E::GetBucketVersioning,
            _ if r.has_query("versions") => E::ListObjectVersions,
            _ if r.has_query("uploads") => E::ListMultipartUploads,
            _ if r.query("list-type") == Some("2") => E::ListObjectsV2,
            _ => E::ListObjects,
        }),
        Method::HEAD => Ok(E::HeadBucket),
        Method::PUT => match config {
            Some("policy") => Ok(E::PutBucketPolicy),
            Some("acl") => Ok(E::PutBucketAcl),
            Some("cors") => Ok(E::PutBucketCors),
            Some("website") => Ok(E::PutBucketWebsite),
            Some("replication") => Ok(E::PutBucketReplication),
            Some("notification") => Ok(E::PutBucketNotificationConfiguration),
            _ if r.has_query("versioning") => Err(S3Error::with_message(
                S3ErrorCode::NotImplemented,
                "Bucket versioning is not implemented",
            )),
            _ => Ok(E::CreateBucket),
        },
        Method::DELETE => match config {
            Some("policy") => Ok(E::DeleteBucketPolicy),
            Some("cors") => Ok(E::DeleteBucketCors),
            Some("website") => Ok(E::DeleteBucketWebsite),
            Some("replication") => Ok(E::DeleteBucketReplication),
            Some(_) => not_allowed(),
            None => Ok(E::DeleteBucket),
        },
        Method::POST if r.has_query("delete") => Ok(E::DeleteObjects),
        Method::POST => Err(S3Error::with_message(
            S3ErrorCode::NotImplemented,
            "Browser-based uploads (POST Object) are not implemented",
        )),
        _ => not_allowed(),
    }
}

fn object_endpoint(method: &Method, r: &Route, copy: bool) -> Result<Endpoint, S3Error> {
    use Endpoint as E;
    let upload = r.has_query("uploadId");
    let acl = r.has_query("acl");
    let not_allowed = || Err(method_not_allowed(method).extra("ResourceType", "OBJECT"));
    match *method {
        Method::GET if upload => Ok(E::ListParts),
        Method::GET if acl => Ok(E::GetObjectAcl),
        Method::GET => Ok(E::GetObject),
        Method::HEAD => Ok(E::HeadObject),
        Method::PUT if acl => Ok(E::PutObjectAcl),
        Method::PUT if upload && copy => Ok(E::UploadPartCopy),
        Method::PUT if upload => Ok(E::UploadPart),
        Method::PUT if copy => Ok(E::CopyObject),
        Method::PUT => Ok(E::PutObject),
        Method::POST if r.has_query("uploads") => Ok(E::CreateMultipartUpload),
        Method::POST if upload => Ok(E::CompleteMultipartUpload),
        Method::DELETE if upload => Ok(E::AbortMultipartUpload),
        Method::DELETE => Ok(E::DeleteObject),
        _ => not_allowed(),
    }
}
