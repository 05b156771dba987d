//! CORS configuration: PutBucketCors / GetBucketCors / DeleteBucketCors
//! through the SDK, their validation and who may call them.

use crate::admin::create_key;
use crate::{code, setup, status};
use aws_sdk_s3::types::{CorsConfiguration, CorsRule};
use aws_sdk_s3::Client;
use tessera_types::meta::BucketConfig;

pub const SITE: &str = "http://www.example.com";

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
pub async fn configure(c: &Client, bucket: &str) {
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
