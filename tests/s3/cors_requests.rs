//! CORS requests: preflight OPTIONS requests and the Access-Control headers
//! of actual requests, unsigned, as a browser sends them.

use crate::cors::{configure, SITE};
use crate::{put, setup};
use tessera_test_harness::TestServer;

/// An unsigned OPTIONS request, as a browser sends it.
async fn preflight(
    s: &TestServer,
    path: &str,
    headers: &[(&str, &str)],
) -> tessera_test_harness::RawResponse {
    s.raw().send("OPTIONS", path, headers, "").await
}

#[tokio::test]
async fn preflight_allowed_and_denied() {
    let (s, c) = setup("cors").await;
    put(&c, "cors", "k", "v").await;
    // Without a configuration, every preflight is refused.
    let r = preflight(
        &s,
        "/cors/k",
        &[("origin", SITE), ("access-control-request-method", "GET")],
    )
    .await;
    assert_eq!(
        (r.status, r.error_code().as_deref()),
        (403, Some("AccessForbidden"))
    );
    assert!(r.text().contains("CORSResponse"), "{}", r.text());
    assert!(r.header("access-control-allow-origin").is_none());

    configure(&c, "cors").await;
    // Missing Origin or Access-Control-Request-Method: 400 BadRequest.
    let r = preflight(&s, "/cors/k", &[("access-control-request-method", "GET")]).await;
    assert_eq!(
        (r.status, r.error_code().as_deref()),
        (400, Some("BadRequest"))
    );
    assert!(r
        .text()
        .contains("Insufficient information. Origin request header needed."));
    let r = preflight(&s, "/cors/k", &[("origin", SITE)]).await;
    assert_eq!(
        (r.status, r.error_code().as_deref()),
        (400, Some("BadRequest"))
    );
    assert!(r.text().contains("Invalid Access-Control-Request-Method"));

    // The first rule: the site, PUT, with allowed headers.
    let r = preflight(
        &s,
        "/cors/k",
        &[
            ("origin", SITE),
            ("access-control-request-method", "PUT"),
            (
                "access-control-request-headers",
                "content-type, x-amz-meta-colour",
            ),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("access-control-allow-origin"), Some(SITE));
    assert_eq!(
        r.header("access-control-allow-methods"),
        Some("GET, PUT, DELETE")
    );
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("content-type, x-amz-meta-colour")
    );
    assert_eq!(
        r.header("access-control-expose-headers"),
        Some("ETag, x-amz-request-id")
    );
    assert_eq!(r.header("access-control-max-age"), Some("3000"));
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(
        r.header("vary"),
        Some("Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
    );
    // A bucket-level preflight, with the wildcard origin of the first rule.
    let r = preflight(
        &s,
        "/cors",
        &[
            ("origin", "https://a.example.org"),
            ("access-control-request-method", "DELETE"),
        ],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://a.example.org")
    );

    // Another origin falls through to the catch-all GET rule: `*`.
    let r = preflight(
        &s,
        "/cors/k",
        &[
            ("origin", "http://elsewhere.test"),
            ("access-control-request-method", "GET"),
        ],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(r.header("access-control-allow-methods"), Some("GET, HEAD"));
    assert!(r.header("access-control-allow-credentials").is_none());

    // Mismatches: origin (for PUT), method, a header no rule allows.
    for headers in [
        vec![
            ("origin", "http://elsewhere.test"),
            ("access-control-request-method", "PUT"),
        ],
        vec![("origin", SITE), ("access-control-request-method", "POST")],
        vec![
            ("origin", SITE),
            ("access-control-request-method", "PUT"),
            (
                "access-control-request-headers",
                "content-type, authorization",
            ),
        ],
        vec![
            ("origin", "http://elsewhere.test"),
            ("access-control-request-method", "GET"),
            ("access-control-request-headers", "x-amz-date"),
        ],
    ] {
        let r = preflight(&s, "/cors/k", &headers).await;
        assert_eq!(
            (r.status, r.error_code().as_deref()),
            (403, Some("AccessForbidden")),
            "{headers:?}"
        );
        assert!(
            r.text().contains("This CORS request is not allowed"),
            "{}",
            r.text()
        );
        assert!(r.header("access-control-allow-origin").is_none());
    }
    // A bucket that does not exist.
    let r = preflight(
        &s,
        "/nope/k",
        &[("origin", SITE), ("access-control-request-method", "GET")],
    )
    .await;
    assert_eq!(
        (r.status, r.error_code().as_deref()),
        (403, Some("AccessForbidden"))
    );
}

#[tokio::test]
async fn actual_requests_get_access_control_headers() {
    let (s, c) = setup("cors").await;
    put(&c, "cors", "k", "hello").await;
    let raw = s.raw();
    // No configuration: no CORS headers.
    let r = raw
        .signed("GET", "/cors/k", &[("origin", SITE)], "", None)
        .await;
    assert_eq!(r.status, 200);
    assert!(r.header("access-control-allow-origin").is_none());

    configure(&c, "cors").await;
    let r = raw
        .signed("GET", "/cors/k", &[("origin", SITE)], "", None)
        .await;
    assert_eq!((r.status, r.text().as_str()), (200, "hello"));
    assert_eq!(r.header("access-control-allow-origin"), Some(SITE));
    assert_eq!(
        r.header("access-control-allow-methods"),
        Some("GET, PUT, DELETE")
    );
    assert_eq!(
        r.header("access-control-expose-headers"),
        Some("ETag, x-amz-request-id")
    );
    assert_eq!(r.header("access-control-max-age"), Some("3000"));
    assert_eq!(
        r.header("vary"),
        Some("Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
    );
    // Errors carry them too.
    let r = raw
        .signed("GET", "/cors/missing", &[("origin", SITE)], "", None)
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("access-control-allow-origin"), Some(SITE));
    let r = s
        .raw()
        .send("GET", "/cors/k", &[("origin", SITE)], "")
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.header("access-control-allow-origin"), Some(SITE));
    // HEAD matches only the catch-all rule.
    let r = raw
        .signed("HEAD", "/cors/k", &[("origin", SITE)], "", None)
        .await;
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    // An origin no rule allows for the method: no headers.
    let r = raw
        .signed(
            "PUT",
            "/cors/k2",
            &[("origin", "http://elsewhere.test")],
            "x",
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.header("access-control-allow-origin").is_none());
    // Without Origin, nothing changes.
    let r = raw.signed("GET", "/cors/k", &[], "", None).await;
    assert!(r.header("access-control-allow-origin").is_none());
    assert!(r.header("vary").is_none());
}
