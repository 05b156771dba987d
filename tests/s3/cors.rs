//! CORS: PutBucketCors / GetBucketCors / DeleteBucketCors through the SDK,
//! preflight OPTIONS requests and the Access-Control headers of actual
//! requests, unsigned, as a browser sends them.

use crate::admin::create_key;
use crate::{code, put, setup, status};
use aws_sdk_s3::types::{CorsConfiguration, CorsRule};
use aws_sdk_s3::Client;
use tessera_test_harness::TestServer;
use tessera_types::meta::BucketConfig;

const SITE: &str = "http://www.example.com";

fn rule(origins: &[&str], methods: &[&str]) -> aws_sdk_s3::types::builders::CorsRuleBuilder {
    let mut b = CorsRule::builder();
    for o in origins {
        b = b.allowed_origins(*o);
    }
    for m in methods {
        b = b.allowed_methods(*m);
    }
    b
}

fn config(rules: Vec<CorsRule>) -> CorsConfiguration {
    CorsConfiguration::builder()
        .set_cors_rules(Some(rules))
        .build()
        .unwrap()
}

/// Two rules: the site may GET, PUT and DELETE with x-amz-* and
/// Content-Type headers; anyone may GET.
async fn configure(c: &Client, bucket: &str) {
    let site = rule(&[SITE, "https://*.example.org"], &["GET", "PUT", "DELETE"])
        .id("site")
        .allowed_headers("x-amz-*")
        .allowed_headers("Content-Type")
        .expose_headers("ETag")
        .expose_headers("x-amz-request-id")
        .max_age_seconds(3000)
        .build()
        .unwrap();
    let anyone = rule(&["*"], &["GET", "HEAD"]).build().unwrap();
    c.put_bucket_cors()
        .bucket(bucket)
        .cors_configuration(config(vec![site, anyone]))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn cors_put_get_delete_round_trip() {
    let (_s, c) = setup("cors").await;
    let err = c.get_bucket_cors().bucket("cors").send().await.unwrap_err();
    assert_eq!(code(&err), "NoSuchCORSConfiguration");
    assert_eq!(status(&err), 404);

    configure(&c, "cors").await;
    let got = c.get_bucket_cors().bucket("cors").send().await.unwrap();
    let rules = got.cors_rules();
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0].id(), Some("site"));
    assert_eq!(rules[0].allowed_origins(), [SITE, "https://*.example.org"]);
    assert_eq!(rules[0].allowed_methods(), ["GET", "PUT", "DELETE"]);
    assert_eq!(rules[0].allowed_headers(), ["x-amz-*", "Content-Type"]);
    assert_eq!(rules[0].expose_headers(), ["ETag", "x-amz-request-id"]);
    assert_eq!(rules[0].max_age_seconds(), Some(3000));
    assert_eq!(rules[1].allowed_origins(), ["*"]);
    assert_eq!(rules[1].max_age_seconds(), None);

    // Replacing is whole: the new configuration is the only one.
    let only = rule(&["*"], &["PUT"]).build().unwrap();
    c.put_bucket_cors()
        .bucket("cors")
        .cors_configuration(config(vec![only]))
        .send()
        .await
        .unwrap();
    let got = c.get_bucket_cors().bucket("cors").send().await.unwrap();
    assert_eq!(got.cors_rules().len(), 1);

    c.delete_bucket_cors().bucket("cors").send().await.unwrap();
    let err = c.get_bucket_cors().bucket("cors").send().await.unwrap_err();
    assert_eq!(code(&err), "NoSuchCORSConfiguration");
    // Deleting what is not there is still 204.
    c.delete_bucket_cors().bucket("cors").send().await.unwrap();
    let err = c.get_bucket_cors().bucket("nope").send().await.unwrap_err();
    assert_eq!(code(&err), "NoSuchBucket");
}

#[tokio::test]
async fn cors_configurations_are_validated() {
    let (s, c) = setup("cors").await;
    let put = |cfg: CorsConfiguration| {
        c.put_bucket_cors()
            .bucket("cors")
            .cors_configuration(cfg)
            .send()
    };
    let err = put(config(vec![rule(&["*"], &["PATCH"]).build().unwrap()]))
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRequest");
    assert_eq!(
        err.as_service_error().and_then(|e| e.meta().message()),
        Some("Found unsupported HTTP method in CORS config. Unsupported method is PATCH")
    );
    let err = put(config(vec![rule(&["http://*.*.com"], &["GET"])
        .build()
        .unwrap()]))
    .await
    .unwrap_err();
    assert_eq!(code(&err), "InvalidRequest");
    let err = put(config(vec![rule(&["*"], &["GET"])
        .allowed_headers("x-*-*")
        .build()
        .unwrap()]))
    .await
    .unwrap_err();
    assert_eq!(code(&err), "InvalidRequest");
    let err = put(config(vec![])).await.unwrap_err();
    assert_eq!(code(&err), "MalformedXML");
    let many = (0..101)
        .map(|_| rule(&["*"], &["GET"]).build().unwrap())
        .collect();
    let err = put(config(many)).await.unwrap_err();
    assert_eq!(code(&err), "MalformedXML");
    let hundred = (0..100)
        .map(|_| rule(&["*"], &["GET"]).build().unwrap())
        .collect();
    put(config(hundred)).await.unwrap();

    // Malformed documents and a Content-MD5 that does not match the body.
    let doc = "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>";
    let raw = s.raw();
    let r = raw
        .signed(
            "PUT",
            "/cors?cors",
            &[],
            "<CORSConfiguration><CORSRule>",
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.error_code().as_deref()),
        (400, Some("MalformedXML"))
    );
    let r = raw
        .signed(
            "PUT",
            "/cors?cors",
            &[("content-md5", "XrY7u+Ae7tCTyyK7j1rNww==")],
            doc,
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.error_code().as_deref()),
        (400, Some("BadDigest"))
    );
    let md5 = {
        use base64::Engine as _;
        use md5::Digest;
        base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(doc.as_bytes()))
    };
    let r = raw
        .signed("PUT", "/cors?cors", &[("content-md5", &md5)], doc, None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test]
async fn cors_configuration_needs_the_owner_or_a_policy() {
    let (s, c) = setup("cors").await;
    configure(&c, "cors").await;
    let (ak, sk) = create_key(&s, "other").await;
    let other = s.client_as(&ak, &sk);
    let err = other
        .get_bucket_cors()
        .bucket("cors")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    let err = other
        .put_bucket_cors()
        .bucket("cors")
        .cors_configuration(config(vec![rule(&["*"], &["GET"]).build().unwrap()]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    let err = other
        .delete_bucket_cors()
        .bucket("cors")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    // Unsigned requests are refused too.
    let r = s.raw().send("GET", "/cors?cors", &[], "").await;
    assert_eq!(r.error_code().as_deref(), Some("AccessDenied"));

    // A policy may open them to another key.
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{ak}"}},"Action":["s3:GetBucketCORS","s3:PutBucketCORS"],"Resource":"arn:aws:s3:::cors"}}]}}"#
    );
    s.set_bucket_config("cors", BucketConfig::Policy(Some(policy)))
        .await;
    assert_eq!(
        other
            .get_bucket_cors()
            .bucket("cors")
            .send()
            .await
            .unwrap()
            .cors_rules()
            .len(),
        2
    );
    other
        .delete_bucket_cors()
        .bucket("cors")
        .send()
        .await
        .unwrap();
}

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
