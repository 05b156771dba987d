//! The HTML answers of the website endpoint: error pages (never XML, as a
//! browser is the client) and redirects.

use crate::body;
use crate::response::{self, HttpResponse};
use http::StatusCode;
use tessera_s3_protocol::error::xml_escape;
use tessera_s3_protocol::{S3Error, S3ErrorCode};

/// An error page's content: the S3 error, and, when the custom error
/// document could not be served, why.
pub(crate) struct ErrorPage<'a> {
    pub error: &'a S3Error,
    pub request_id: &'a str,
    pub error_document: Option<&'a S3Error>,
}

fn items(out: &mut String, e: &S3Error, request_id: Option<&str>) {
    out.push_str("<ul>\n");
    let mut li = |name: &str, value: &str| {
        out.push_str(&format!("<li>{name}: {}</li>\n", xml_escape(value)));
    };
    li("Code", e.code.as_str());
    li("Message", &e.message);
    for (name, value) in &e.extra {
        li(name, value);
    }
    if let Some(id) = request_id {
        li("RequestId", id);
        li("HostId", id);
    }
    out.push_str("</ul>\n");
}

impl ErrorPage<'_> {
    /// The HTML document.
    pub(crate) fn html(&self) -> String {
        let status = self.error.status();
        let title = format!(
            "{} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("Error")
        );
        let mut out =
            format!("<html>\n<head><title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n");
        items(&mut out, self.error, Some(self.request_id));
        if let Some(e) = self.error_document {
            out.push_str(
                "<h3>An Error Occurred While Attempting to Retrieve a Custom Error Document</h3>\n",
            );
            items(&mut out, e, None);
        }
        out.push_str("<hr/>\n</body>\n</html>\n");
        out
    }

    /// The response: the page with the error's status (no body for HEAD).
    pub(crate) fn response(&self, head: bool) -> HttpResponse {
        let html = self.html();
        let len = html.len();
        let mut r = http::Response::new(if head {
            body::empty()
        } else {
            body::full(html)
        });
        *r.status_mut() = self.error.status();
        response::set_header(&mut r, "content-type", "text/html; charset=utf-8");
        response::set_header(&mut r, "content-length", &len.to_string());
        r
    }
}

/// A redirect to `location` with `status` (3XX).
pub(crate) fn redirect(status: u16, location: &str) -> HttpResponse {
    let mut r =
        response::status(StatusCode::from_u16(status).unwrap_or(StatusCode::MOVED_PERMANENTLY));
    response::set_header(&mut r, "location", location);
    response::set_header(&mut r, "content-length", "0");
    r
}

/// NoSuchKey for `key`.
pub(crate) fn no_such_key(key: &str) -> S3Error {
    S3Error::new(S3ErrorCode::NoSuchKey).extra("Key", key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_name_the_error_and_escape_it() {
        let e = no_such_key("<b>.html");
        let doc = S3Error::new(S3ErrorCode::AccessDenied);
        let page = ErrorPage {
            error: &e,
            request_id: "R1",
            error_document: Some(&doc),
        };
        let html = page.html();
        assert!(html.contains("<title>404 Not Found</title>"), "{html}");
        assert!(html.contains("<li>Code: NoSuchKey</li>"));
        assert!(html.contains("<li>Key: &lt;b&gt;.html</li>"));
        assert!(html.contains("<li>RequestId: R1</li>"));
        assert!(html.contains("Custom Error Document</h3>\n<ul>\n<li>Code: AccessDenied</li>"));
        assert!(!html.contains("<?xml"));
    }
}
