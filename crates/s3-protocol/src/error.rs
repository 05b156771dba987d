//! The one S3 error table: every error Tessera returns to a client, with its
//! AWS code, HTTP status and default message, rendered as the S3 XML error
//! body with a request id.

use http::StatusCode;
use std::fmt;

macro_rules! s3_error_codes {
    ($($name:ident => $status:expr, $msg:expr;)*) => {
        /// An S3 error code, named exactly as AWS names it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum S3ErrorCode { $($name),* }

        impl S3ErrorCode {
            /// The code as it appears in `<Code>`.
            pub fn as_str(&self) -> &'static str {
                match self { $(S3ErrorCode::$name => stringify!($name)),* }
            }
            /// The HTTP status AWS answers with.
            pub fn status(&self) -> StatusCode {
                match self { $(S3ErrorCode::$name => $status),* }
            }
            /// AWS's standard message for the code.
            pub fn default_message(&self) -> &'static str {
                match self { $(S3ErrorCode::$name => $msg),* }
            }
        }
    };
}

use StatusCode as S;

s3_error_codes! {
    AccessDenied => S::FORBIDDEN, "Access Denied";
    AccessForbidden => S::FORBIDDEN, "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.";
    AuthorizationHeaderMalformed => S::BAD_REQUEST, "The authorization header is malformed.";
    AuthorizationQueryParametersError => S::BAD_REQUEST, "Error parsing the X-Amz-Credential parameter.";
    BadRequest => S::BAD_REQUEST, "Bad Request";
    BadDigest => S::BAD_REQUEST, "The Content-MD5 you specified did not match what we received.";
    BucketAlreadyExists => S::CONFLICT, "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.";
    BucketAlreadyOwnedByYou => S::CONFLICT, "Your previous request to create the named bucket succeeded and you already own it.";
    BucketNotEmpty => S::CONFLICT, "The bucket you tried to delete is not empty";
    EntityTooLarge => S::BAD_REQUEST, "Your proposed upload exceeds the maximum allowed size";
    EntityTooSmall => S::BAD_REQUEST, "Your proposed upload is smaller than the minimum allowed size";
    ExpiredToken => S::BAD_REQUEST, "The provided token has expired.";
    IllegalLocationConstraintException => S::BAD_REQUEST, "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.";
    IncompleteBody => S::BAD_REQUEST, "You did not provide the number of bytes specified by the Content-Length HTTP header.";
    InternalError => S::INTERNAL_SERVER_ERROR, "We encountered an internal error. Please try again.";
    InvalidAccessKeyId => S::FORBIDDEN, "The AWS Access Key Id you provided does not exist in our records.";
    InvalidArgument => S::BAD_REQUEST, "Invalid Argument";
    InvalidBucketName => S::BAD_REQUEST, "The specified bucket is not valid.";
    InvalidChunkSizeError => S::FORBIDDEN, "Only the last chunk is allowed to have a size less than 8192 bytes";
    InvalidDigest => S::BAD_REQUEST, "The Content-MD5 you specified is not valid.";
    InvalidLocationConstraint => S::BAD_REQUEST, "The specified location constraint is not valid.";
    InvalidObjectState => S::FORBIDDEN, "The operation is not valid for the current state of the object.";
    InvalidPart => S::BAD_REQUEST, "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.";
    InvalidPartNumber => S::RANGE_NOT_SATISFIABLE, "The requested partnumber is not satisfiable";
    InvalidPartOrder => S::BAD_REQUEST, "The list of parts was not in ascending order. The parts list must be specified in order by part number.";
    InvalidRange => S::RANGE_NOT_SATISFIABLE, "The requested range is not satisfiable";
    InvalidRequest => S::BAD_REQUEST, "Invalid Request";
    InvalidStorageClass => S::BAD_REQUEST, "The storage class you specified is not valid";
    InvalidURI => S::BAD_REQUEST, "Couldn't parse the specified URI.";
    KeyTooLongError => S::BAD_REQUEST, "Your key is too long";
    MalformedXML => S::BAD_REQUEST, "The XML you provided was not well-formed or did not validate against our published schema";
    MalformedACLError => S::BAD_REQUEST, "The XML you provided was not well-formed or did not validate against our published schema.";
    MalformedPolicy => S::BAD_REQUEST, "Policies must be valid JSON and the first byte must be '{'";
    MetadataTooLarge => S::BAD_REQUEST, "Your metadata headers exceed the maximum allowed metadata size.";
    MethodNotAllowed => S::METHOD_NOT_ALLOWED, "The specified method is not allowed against this resource.";
    MissingContentLength => S::LENGTH_REQUIRED, "You must provide the Content-Length HTTP header.";
    PolicyTooLarge => S::BAD_REQUEST, "Policy exceeds the maximum allowed document size.";
    UnexpectedContent => S::BAD_REQUEST, "This request does not support content.";
    MissingSecurityHeader => S::BAD_REQUEST, "Your request was missing a required header";
    NoSuchBucket => S::NOT_FOUND, "The specified bucket does not exist";
    NoSuchBucketPolicy => S::NOT_FOUND, "The bucket policy does not exist";
    UnresolvableGrantByEmailAddress => S::BAD_REQUEST, "The email address you provided does not match any account on record.";
    NoSuchCORSConfiguration => S::NOT_FOUND, "The CORS configuration does not exist";
    NoSuchKey => S::NOT_FOUND, "The specified key does not exist.";
    NoSuchUpload => S::NOT_FOUND, "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.";
    ReplicationConfigurationNotFoundError => S::NOT_FOUND, "The replication configuration was not found.";
    NoSuchWebsiteConfiguration => S::NOT_FOUND, "The specified bucket does not have a website configuration";
    NoSuchLifecycleConfiguration => S::NOT_FOUND, "The lifecycle configuration does not exist";
    NoSuchTagSet => S::NOT_FOUND, "The TagSet does not exist";
    NotImplemented => S::NOT_IMPLEMENTED, "A header you provided implies functionality that is not implemented";
    NotModified => S::NOT_MODIFIED, "Not Modified";
    PreconditionFailed => S::PRECONDITION_FAILED, "At least one of the pre-conditions you specified did not hold";
    RequestTimeTooSkewed => S::FORBIDDEN, "The difference between the request time and the current time is too large.";
    RequestTimeout => S::BAD_REQUEST, "Your socket connection to the server was not read from or written to within the timeout period.";
    ServiceUnavailable => S::SERVICE_UNAVAILABLE, "Please reduce your request rate.";
    SignatureDoesNotMatch => S::FORBIDDEN, "The request signature we calculated does not match the signature you provided. Check your key and signing method.";
    SlowDown => S::SERVICE_UNAVAILABLE, "Please reduce your request rate.";
    XAmzContentSHA256Mismatch => S::BAD_REQUEST, "The provided 'x-amz-content-sha256' header does not match what was computed.";
    ConditionalRequestConflict => S::CONFLICT, "A conflicting operation occurred. If using PutObject you can retry the request. If using CompleteMultipartUpload you can retry the request.";
}

impl fmt::Display for S3ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error answered to an S3 client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Error {
    pub code: S3ErrorCode,
    pub message: String,
    /// The bucket or object the error is about (`<Resource>`), if known.
    pub resource: Option<String>,
    /// Extra elements AWS adds for some codes, e.g. `ArgumentName`,
    /// `BucketName`, `Key`, `UploadId`, `PartNumber`, `Condition`.
    pub extra: Vec<(&'static str, String)>,
}

impl S3Error {
    pub fn new(code: S3ErrorCode) -> Self {
        S3Error {
            code,
            message: code.default_message().to_string(),
            resource: None,
            extra: Vec::new(),
        }
    }
    pub fn with_message(code: S3ErrorCode, message: impl Into<String>) -> Self {
        S3Error {
            message: message.into(),
            ..Self::new(code)
        }
    }
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }
    pub fn extra(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.extra.push((name, value.into()));
        self
    }
    pub fn status(&self) -> StatusCode {
        self.code.status()
    }

    /// The S3 XML error body.
    pub fn to_xml(&self, request_id: &str) -> String {
        let mut s = String::with_capacity(256);
        s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>");
        s.push_str(self.code.as_str());
        s.push_str("</Code><Message>");
        s.push_str(&xml_escape(&self.message));
        s.push_str("</Message>");
        for (name, value) in &self.extra {
            s.push('<');
            s.push_str(name);
            s.push('>');
            s.push_str(&xml_escape(value));
            s.push_str("</");
            s.push_str(name);
            s.push('>');
        }
        if let Some(r) = &self.resource {
            s.push_str("<Resource>");
            s.push_str(&xml_escape(r));
            s.push_str("</Resource>");
        }
        s.push_str("<RequestId>");
        s.push_str(&xml_escape(request_id));
        s.push_str("</RequestId><HostId>");
        s.push_str(&xml_escape(request_id));
        s.push_str("</HostId></Error>");
        s
    }
}

impl From<S3ErrorCode> for S3Error {
    fn from(code: S3ErrorCode) -> Self {
        S3Error::new(code)
    }
}

impl fmt::Display for S3Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for S3Error {}

/// Escapes text for XML element content and attribute values.
pub fn xml_escape(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains(['<', '>', '&', '"', '\'']) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

pub type Result<T, E = S3Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_error_xml_with_request_id() {
        let e = S3Error::new(S3ErrorCode::NoSuchKey).resource("/b/k<1>");
        let xml = e.to_xml("req-1");
        assert!(xml.contains("<Code>NoSuchKey</Code>"));
        assert!(xml.contains("<Resource>/b/k&lt;1&gt;</Resource>"));
        assert!(xml.contains("<RequestId>req-1</RequestId>"));
        assert_eq!(e.status(), StatusCode::NOT_FOUND);
    }

    #[test]
    fn table_statuses() {
        assert_eq!(S3ErrorCode::InvalidRange.status().as_u16(), 416);
        assert_eq!(S3ErrorCode::PreconditionFailed.status().as_u16(), 412);
        assert_eq!(S3ErrorCode::BucketNotEmpty.status().as_u16(), 409);
        assert_eq!(S3ErrorCode::MissingContentLength.status().as_u16(), 411);
        assert_eq!(
            S3ErrorCode::SignatureDoesNotMatch.as_str(),
            "SignatureDoesNotMatch"
        );
    }
}
