#![allow(clippy::unwrap_used)]

use super::*;

const DOC: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <CORSRule>
    <ID>site</ID>
    <AllowedOrigin>http://www.example.com</AllowedOrigin>
    <AllowedOrigin>https://*.example.org</AllowedOrigin>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedHeader>x-amz-*</AllowedHeader>
    <AllowedHeader>Content-Type</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>3000</MaxAgeSeconds>
  </CORSRule>
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
  </CORSRule>
</CORSConfiguration>"#;

#[test]
fn parses_renders_and_round_trips() {
    let doc = CorsConfiguration::parse(DOC.as_bytes()).unwrap();
    assert_eq!(doc.rules.len(), 2);
    let r = &doc.rules[0];
    assert_eq!(r.id.as_deref(), Some("site"));
    assert_eq!(r.allowed_origins.len(), 2);
    assert_eq!(r.allowed_methods, ["PUT", "GET"]);
    assert_eq!(r.max_age_seconds, Some(3000));
    assert!(doc.rules[1].any_origin());
    let xml = roundtrip(&doc);
    assert!(xml.contains(
        "<CORSRule><AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin></CORSRule>"
    ));
    assert_eq!(CorsConfiguration::parse(xml.as_bytes()).unwrap(), doc);
}

#[test]
fn validation() {
    let rule = |inner: &str| {
        format!("<CORSConfiguration><CORSRule>{inner}</CORSRule></CORSConfiguration>")
    };
    let ok = "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>";
    assert!(CorsConfiguration::parse(rule(ok).as_bytes()).is_ok());
    for (doc, want) in [
        (
            "<CORSConfiguration/>".to_string(),
            S3ErrorCode::MalformedXML,
        ),
        (
            "<CORSConfiguration><CORSRule>".to_string(),
            S3ErrorCode::MalformedXML,
        ),
        (
            rule("<AllowedMethod>GET</AllowedMethod>"),
            S3ErrorCode::MalformedXML,
        ),
        (
            rule("<AllowedOrigin>*</AllowedOrigin>"),
            S3ErrorCode::MalformedXML,
        ),
        (
            rule(&format!("{ok}<MaxAgeSeconds>soon</MaxAgeSeconds>")),
            S3ErrorCode::MalformedXML,
        ),
        (
            rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>"),
            S3ErrorCode::InvalidRequest,
        ),
        (
            rule("<AllowedOrigin>http://*.*.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"),
            S3ErrorCode::InvalidRequest,
        ),
        (
            rule(&format!("{ok}<AllowedHeader>x-*-*</AllowedHeader>")),
            S3ErrorCode::InvalidRequest,
        ),
        (
            rule(&format!("{ok}<ExposeHeader>*</ExposeHeader>")),
            S3ErrorCode::InvalidRequest,
        ),
    ] {
        assert_eq!(
            code(CorsConfiguration::parse(doc.as_bytes())),
            want,
            "{doc}"
        );
    }
    let many = format!(
        "<CORSConfiguration>{}</CORSConfiguration>",
        format!("<CORSRule>{ok}</CORSRule>").repeat(MAX_CORS_RULES)
    );
    assert!(CorsConfiguration::parse(many.as_bytes()).is_ok());
    let too_many = many.replace(
        "<CORSConfiguration>",
        &format!("<CORSConfiguration><CORSRule>{ok}</CORSRule>"),
    );
    assert_eq!(
        code(CorsConfiguration::parse(too_many.as_bytes())),
        S3ErrorCode::MalformedXML
    );
    let e = CorsConfiguration::parse(
        rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>").as_bytes(),
    )
    .unwrap_err();
    assert_eq!(
        e.message,
        "Found unsupported HTTP method in CORS config. Unsupported method is PATCH"
    );
}

#[test]
fn rules_match_in_order() {
    let doc = CorsConfiguration::parse(DOC.as_bytes()).unwrap();
    let id = |o: &str, m: &str, h: &[&str]| doc.find_rule(o, m, h).map(|r| r.id.clone());
    assert_eq!(
        id("http://www.example.com", "PUT", &["content-type"]),
        Some(Some("site".into()))
    );
    assert_eq!(
        id(
            "https://a.b.example.org",
            "GET",
            &["X-Amz-Date", "x-amz-meta-a"]
        ),
        Some(Some("site".into()))
    );
    // Not the first rule's method or header: the catch-all GET rule.
    assert_eq!(
        id("http://www.example.com", "GET", &["authorization"]),
        None
    );
    assert_eq!(id("http://other.example", "GET", &[]), Some(None));
    assert_eq!(id("http://other.example", "PUT", &[]), None);
    assert_eq!(id("http://www.example.com", "DELETE", &[]), None);
    // Origins are case-sensitive; the wildcard needs its prefix and suffix.
    assert_eq!(id("http://WWW.example.com", "PUT", &[]), None);
    assert_eq!(id("https://example.org", "PUT", &[]), None);
}

#[test]
fn wildcards() {
    assert!(wildcard_match("*", "", false));
    assert!(wildcard_match("a*", "a", false));
    assert!(wildcard_match("a*c", "abc", false));
    assert!(!wildcard_match("ab*bc", "abc", false));
    assert!(wildcard_match("X-Amz-*", "x-amz-date", true));
    assert!(!wildcard_match("X-Amz-*", "x-amz-date", false));
    assert!(!wildcard_match("é*", "e", false));
}
