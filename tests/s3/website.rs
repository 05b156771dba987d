//! Website hosting: PutBucketWebsite / GetBucketWebsite /
//! DeleteBucketWebsite through the SDK, and the website endpoint driven
//! with unsigned HTTP requests, as a browser sends them.

use crate::{code, setup, status};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    Condition, ErrorDocument, IndexDocument, Redirect, RedirectAllRequestsTo, RoutingRule,
    WebsiteConfiguration,
};
use aws_sdk_s3::Client;
use tessera_test_harness::{RawResponse, TestServer};
use tessera_types::meta::BucketConfig;

/// A bucket policy letting anyone read the objects under `prefix` and list
/// the bucket (so that missing pages are 404s, not 403s, as in S3).
pub fn public_read(bucket: &str, prefix: &str) -> BucketConfig {
    BucketConfig::Policy(Some(format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/{prefix}*"}},{{"Sid":"PublicList","Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::{bucket}"}}]}}"#
    )))
}

/// A bucket policy letting anyone read every object, and nothing else.
pub fn get_only(bucket: &str) -> BucketConfig {
    BucketConfig::Policy(Some(format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*"}}]}}"#
    )))
}

pub async fn put_typed(c: &Client, bucket: &str, key: &str, body: &str, content_type: &str) {
    c.put_object()
        .bucket(bucket)
        .key(key)
        .content_type(content_type)
        .body(ByteStream::from(body.as_bytes().to_vec()))
        .send()
        .await
        .unwrap();
}

pub fn index(suffix: &str) -> IndexDocument {
    IndexDocument::builder().suffix(suffix).build().unwrap()
}

fn site_config() -> WebsiteConfiguration {
    WebsiteConfiguration::builder()
        .index_document(index("index.html"))
        .error_document(ErrorDocument::builder().key("404.html").build().unwrap())
        .build()
}

pub async fn set_website(c: &Client, bucket: &str, cfg: WebsiteConfiguration) {
    c.put_bucket_website()
        .bucket(bucket)
        .website_configuration(cfg)
        .send()
        .await
        .unwrap();
}

/// A site: a home page, a docs "directory", an about page, a 404 page.
pub async fn site(bucket: &str) -> (TestServer, Client) {
    let (s, c) = setup(bucket).await;
    put_typed(&c, bucket, "index.html", "<h1>home</h1>", "text/html").await;
    put_typed(&c, bucket, "docs/index.html", "<h1>docs</h1>", "text/html").await;
    put_typed(&c, bucket, "about.html", "<h1>about</h1>", "text/html").await;
    put_typed(&c, bucket, "404.html", "<h1>lost</h1>", "text/html").await;
    set_website(&c, bucket, site_config()).await;
    (s, c)
}

pub async fn get(s: &TestServer, path: &str) -> RawResponse {
    s.website().send("GET", path, &[], "").await
}

fn is_html_error(r: &RawResponse, code: &str) {
    assert_eq!(
        r.header("content-type"),
        Some("text/html; charset=utf-8"),
        "{r:?}"
    );
    let t = r.text();
    assert!(t.starts_with("<html>"), "{t}");
    assert!(t.contains(&format!("<li>Code: {code}</li>")), "{t}");
    assert!(t.contains("<li>RequestId: "), "{t}");
    assert!(!t.contains("<?xml"), "{t}");
}

#[tokio::test]
async fn website_config_round_trip_and_validation() {
    let (s, c) = setup("web").await;
    let err = c
        .get_bucket_website()
        .bucket("web")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchWebsiteConfiguration");
    assert_eq!(status(&err), 404);

    let rules = WebsiteConfiguration::builder()
        .index_document(index("index.html"))
        .error_document(ErrorDocument::builder().key("error.html").build().unwrap())
        .routing_rules(
            RoutingRule::builder()
                .condition(Condition::builder().key_prefix_equals("docs/").build())
                .redirect(
                    Redirect::builder()
                        .replace_key_prefix_with("documents/")
                        .http_redirect_code("302")
                        .build(),
                )
                .build(),
        )
        .build();
    set_website(&c, "web", rules).await;
    let got = c.get_bucket_website().bucket("web").send().await.unwrap();
    assert_eq!(got.index_document().map(|i| i.suffix()), Some("index.html"));
    assert_eq!(got.error_document().map(|e| e.key()), Some("error.html"));
    let rule = &got.routing_rules()[0];
    assert_eq!(
        rule.condition().and_then(|c| c.key_prefix_equals()),
        Some("docs/")
    );
    let redirect = rule.redirect().unwrap();
    assert_eq!(redirect.replace_key_prefix_with(), Some("documents/"));
    assert_eq!(redirect.http_redirect_code(), Some("302"));

    let put = |cfg: WebsiteConfiguration| {
        c.put_bucket_website()
            .bucket("web")
            .website_configuration(cfg)
            .send()
    };
    let err = put(WebsiteConfiguration::builder().build())
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidArgument");
    assert_eq!(
        err.as_service_error().and_then(|e| e.meta().message()),
        Some("A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty")
    );
    for suffix in ["", "a/index.html"] {
        let err = put(WebsiteConfiguration::builder()
            .index_document(index(suffix))
            .build())
        .await
        .unwrap_err();
        assert_eq!(code(&err), "InvalidArgument", "{suffix:?}");
    }
    let all = RedirectAllRequestsTo::builder()
        .host_name("example.com")
        .build()
        .unwrap();
    let err = put(WebsiteConfiguration::builder()
        .redirect_all_requests_to(all)
        .index_document(index("index.html"))
        .build())
    .await
    .unwrap_err();
    assert_eq!(code(&err), "InvalidArgument");
    let bad_code = RoutingRule::builder()
        .redirect(Redirect::builder().http_redirect_code("300").build())
        .build();
    let err = put(WebsiteConfiguration::builder()
        .index_document(index("index.html"))
        .routing_rules(bad_code)
        .build())
    .await
    .unwrap_err();
    assert_eq!(code(&err), "InvalidRequest");
    let r = s
        .raw()
        .signed(
            "PUT",
            "/web?website",
            &[],
            "<WebsiteConfiguration><IndexDocument>",
            None,
        )
        .await;
    assert_eq!(r.error_code().as_deref(), Some("MalformedXML"));
    // The stored configuration is unchanged by the refused ones.
    let got = c.get_bucket_website().bucket("web").send().await.unwrap();
    assert_eq!(got.routing_rules().len(), 1);

    c.delete_bucket_website()
        .bucket("web")
        .send()
        .await
        .unwrap();
    let err = c
        .get_bucket_website()
        .bucket("web")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchWebsiteConfiguration");
    // Another key may not touch it.
    let (ak, sk) = crate::admin::create_key(&s, "other").await;
    let err = s
        .client_as(&ak, &sk)
        .put_bucket_website()
        .bucket("web")
        .website_configuration(site_config())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
}

#[tokio::test]
async fn website_serves_index_directories_and_error_documents() {
    let (s, c) = site("site").await;
    // Private until a policy makes it public.
    let r = get(&s, "/site/").await;
    assert_eq!(r.status, 403);
    is_html_error(&r, "AccessDenied");
    s.set_bucket_config("site", public_read("site", "")).await;

    let r = get(&s, "/site/").await;
    assert_eq!((r.status, r.text().as_str()), (200, "<h1>home</h1>"));
    assert_eq!(r.header("content-type"), Some("text/html"));
    assert_eq!(r.header("content-length"), Some("13"));
    assert!(r.header("etag").is_some() && r.header("last-modified").is_some());
    assert_eq!(get(&s, "/site").await.text(), "<h1>home</h1>");
    assert_eq!(get(&s, "/site/about.html").await.text(), "<h1>about</h1>");
    // A "directory": its index document; without the slash, a redirect.
    assert_eq!(get(&s, "/site/docs/").await.text(), "<h1>docs</h1>");
    let r = get(&s, "/site/docs").await;
    assert_eq!((r.status, r.header("location")), (302, Some("/site/docs/")));
    // Virtual-hosted: the bucket in the Host.
    let host = format!("site.localhost:{}", s.website_addr.port());
    let r = s
        .website()
        .send("GET", "/docs/", &[("host", &host)], "")
        .await;
    assert_eq!((r.status, r.text().as_str()), (200, "<h1>docs</h1>"));
    let r = s
        .website()
        .send("GET", "/docs", &[("host", &host)], "")
        .await;
    assert_eq!((r.status, r.header("location")), (302, Some("/docs/")));

    // Missing: the error document, with status 404.
    let r = get(&s, "/site/nope.html").await;
    assert_eq!((r.status, r.text().as_str()), (404, "<h1>lost</h1>"));
    assert_eq!(r.header("content-type"), Some("text/html"));
    let r = get(&s, "/site/nope/").await;
    assert_eq!((r.status, r.text().as_str()), (404, "<h1>lost</h1>"));

    // Ranges and conditional requests, as GetObject answers them.
    let r = s
        .website()
        .send("GET", "/site/about.html", &[("range", "bytes=4-8")], "")
        .await;
    assert_eq!((r.status, r.text().as_str()), (206, "about"));
    assert_eq!(r.header("content-range"), Some("bytes 4-8/14"));
    let etag = get(&s, "/site/about.html")
        .await
        .header("etag")
        .unwrap()
        .to_string();
    let r = s
        .website()
        .send("GET", "/site/about.html", &[("if-none-match", &etag)], "")
        .await;
    assert_eq!(r.status, 304);
    let r = s.website().send("HEAD", "/site/about.html", &[], "").await;
    assert_eq!((r.status, r.body.len()), (200, 0));
    assert_eq!(r.header("content-length"), Some("14"));

    // Only GET and HEAD.
    let r = s.website().send("PUT", "/site/about.html", &[], "x").await;
    assert_eq!(r.status, 405);
    is_html_error(&r, "MethodNotAllowed");
    assert_eq!(get(&s, "/site/about.html").await.text(), "<h1>about</h1>");

    // Without an error document: an HTML error page.
    set_website(
        &c,
        "site",
        WebsiteConfiguration::builder()
            .index_document(index("index.html"))
            .build(),
    )
    .await;
    let r = get(&s, "/site/nope.html").await;
    assert_eq!(r.status, 404);
    is_html_error(&r, "NoSuchKey");
    assert!(r.text().contains("<li>Key: nope.html</li>"));
    // An error document that is missing: the page says so.
    set_website(
        &c,
        "site",
        WebsiteConfiguration::builder()
            .index_document(index("index.html"))
            .error_document(ErrorDocument::builder().key("gone.html").build().unwrap())
            .build(),
    )
    .await;
    let r = get(&s, "/site/nope.html").await;
    assert_eq!(r.status, 404);
    is_html_error(&r, "NoSuchKey");
    assert!(r.text().contains("Custom Error Document"), "{}", r.text());

    // Buckets without a website configuration, and no bucket at all.
    c.create_bucket().bucket("plain").send().await.unwrap();
    let r = get(&s, "/plain/").await;
    assert_eq!(r.status, 404);
    is_html_error(&r, "NoSuchWebsiteConfiguration");
    let r = get(&s, "/nosuchbucket/").await;
    assert_eq!(r.status, 404);
    is_html_error(&r, "NoSuchBucket");
}

#[tokio::test]
async fn website_serves_only_what_is_public() {
    let (s, c) = site("site").await;
    put_typed(&c, "site", "public/page.html", "<p>public</p>", "text/html").await;
    // Only public/ is readable by anyone.
    s.set_bucket_config("site", public_read("site", "public/"))
        .await;
    let r = get(&s, "/site/public/page.html").await;
    assert_eq!((r.status, r.text().as_str()), (200, "<p>public</p>"));
    let r = get(&s, "/site/about.html").await;
    assert_eq!(r.status, 403);
    // The error document itself is private: the page says why.
    is_html_error(&r, "AccessDenied");
    assert!(r.text().contains("Custom Error Document"), "{}", r.text());
    // A signature does not help: the website endpoint is anonymous.
    let signed = tessera_test_harness::RawClient::new(s.website_addr, &s.access_key, &s.secret_key)
        .signed("GET", "/site/about.html", &[], "", None)
        .await;
    assert_eq!(signed.status, 403);
    // A missing key outside the public prefix is 403 too, not 404.
    assert_eq!(get(&s, "/site/secret/x.html").await.status, 403);
    assert_eq!(get(&s, "/site/public/missing.html").await.status, 404);
    // Making everything public opens the rest.
    s.set_bucket_config("site", public_read("site", "")).await;
    assert_eq!(get(&s, "/site/about.html").await.status, 200);
    // Objects readable but the bucket not listable: a missing page is a
    // 403, with the error document, as S3 answers.
    s.set_bucket_config("site", get_only("site")).await;
    let r = get(&s, "/site/nowhere.html").await;
    assert_eq!((r.status, r.text().as_str()), (403, "<h1>lost</h1>"));
}
