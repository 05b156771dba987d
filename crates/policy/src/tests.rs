use super::*;

fn ctx(pairs: &[(&str, &str)]) -> Context {
    let mut c = Context::new();
    for (k, v) in pairs {
        c.set(k, *v);
    }
    c
}

fn decide(p: &Policy, who: Option<&str>, action: &str, resource: &str, c: &Context) -> Decision {
    p.evaluate(&Request {
        principal: who,
        action,
        resource,
        context: c,
    })
}

const PUBLIC_READ: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "PublicRead",
    "Effect": "Allow",
    "Principal": "*",
    "Action": ["s3:GetObject"],
    "Resource": ["arn:aws:s3:::site/*"]
  }]
}"#;

#[test]
fn public_read_allows_objects_not_listing() {
    let p = Policy::parse(PUBLIC_READ, "site").unwrap();
    let c = Context::new();
    assert_eq!(
        decide(&p, None, "s3:GetObject", "arn:aws:s3:::site/index.html", &c),
        Decision::Allow
    );
    assert_eq!(
        decide(&p, None, "s3:ListBucket", "arn:aws:s3:::site", &c),
        Decision::NotApplicable
    );
    assert_eq!(
        decide(&p, None, "s3:PutObject", "arn:aws:s3:::site/x", &c),
        Decision::NotApplicable
    );
}

#[test]
fn explicit_deny_wins_and_principals_match_keys() {
    let p = Policy::parse(
        r#"{"Version":"2012-10-17","Statement":[
          {"Effect":"Allow","Principal":{"AWS":["BOBKEY","arn:aws:iam::123:user/CAROLKEY"]},
           "Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]},
          {"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/keep/*"}
        ]}"#,
        "b",
    )
    .unwrap();
    let c = Context::new();
    assert_eq!(
        decide(&p, Some("BOBKEY"), "s3:GetObject", "arn:aws:s3:::b/x", &c),
        Decision::Allow
    );
    assert_eq!(
        decide(&p, Some("CAROLKEY"), "s3:ListBucket", "arn:aws:s3:::b", &c),
        Decision::Allow
    );
    assert_eq!(
        decide(&p, Some("EVEKEY"), "s3:GetObject", "arn:aws:s3:::b/x", &c),
        Decision::NotApplicable
    );
    assert_eq!(
        decide(&p, None, "s3:GetObject", "arn:aws:s3:::b/x", &c),
        Decision::NotApplicable
    );
    assert_eq!(
        decide(
            &p,
            Some("BOBKEY"),
            "s3:DeleteObject",
            "arn:aws:s3:::b/keep/a",
            &c
        ),
        Decision::Deny
    );
    // Action names are case-insensitive; NotAction negates.
    assert_eq!(
        decide(&p, Some("BOBKEY"), "S3:GETOBJECT", "arn:aws:s3:::b/x", &c),
        Decision::Allow
    );
    let not = Policy::parse(
        r#"{"Statement":{"Effect":"Deny","Principal":"*","NotAction":"s3:Get*","Resource":"arn:aws:s3:::b/*"}}"#,
        "b",
    )
    .unwrap();
    assert_eq!(
        decide(&not, None, "s3:PutObject", "arn:aws:s3:::b/x", &c),
        Decision::Deny
    );
    assert_eq!(
        decide(&not, None, "s3:GetObject", "arn:aws:s3:::b/x", &c),
        Decision::NotApplicable
    );
}

#[test]
fn conditions() {
    let p = Policy::parse(
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",
            "Resource":"arn:aws:s3:::b/*",
            "Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","127.0.0.1"]},
                         "StringLike":{"aws:UserAgent":"curl/*"},
                         "Bool":{"aws:SecureTransport":"false"}}}]}"#,
        "b",
    )
    .unwrap();
    let r = "arn:aws:s3:::b/x";
    let good = ctx(&[
        ("aws:SourceIp", "10.1.2.3"),
        ("aws:UserAgent", "curl/8.0"),
        ("aws:SecureTransport", "false"),
    ]);
    assert_eq!(decide(&p, None, "s3:GetObject", r, &good), Decision::Allow);
    let other_ip = ctx(&[
        ("aws:SourceIp", "192.168.1.1"),
        ("aws:UserAgent", "curl/8.0"),
        ("aws:SecureTransport", "false"),
    ]);
    assert_eq!(
        decide(&p, None, "s3:GetObject", r, &other_ip),
        Decision::NotApplicable
    );
    let loopback = ctx(&[
        ("aws:sourceip", "127.0.0.1"),
        ("aws:useragent", "curl/1"),
        ("aws:securetransport", "false"),
    ]);
    assert_eq!(
        decide(&p, None, "s3:GetObject", r, &loopback),
        Decision::Allow
    );
    // A missing key fails a positive operator.
    assert_eq!(
        decide(
            &p,
            None,
            "s3:GetObject",
            r,
            &ctx(&[("aws:SourceIp", "10.0.0.1")])
        ),
        Decision::NotApplicable
    );

    let list = Policy::parse(
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket",
            "Resource":"arn:aws:s3:::b",
            "Condition":{"StringEquals":{"s3:prefix":["public/",""]},
                         "NumericLessThanEquals":{"s3:max-keys":"100"},
                         "StringNotEquals":{"aws:Referer":"http://evil.example/"}}}]}"#,
        "b",
    )
    .unwrap();
    let r = "arn:aws:s3:::b";
    let ok = ctx(&[("s3:prefix", "public/"), ("s3:max-keys", "50")]);
    assert_eq!(
        decide(&list, None, "s3:ListBucket", r, &ok),
        Decision::Allow
    );
    let too_many = ctx(&[("s3:prefix", "public/"), ("s3:max-keys", "1000")]);
    assert_eq!(
        decide(&list, None, "s3:ListBucket", r, &too_many),
        Decision::NotApplicable
    );
    let evil = ctx(&[
        ("s3:prefix", "public/"),
        ("s3:max-keys", "5"),
        ("aws:Referer", "http://evil.example/"),
    ]);
    assert_eq!(
        decide(&list, None, "s3:ListBucket", r, &evil),
        Decision::NotApplicable
    );

    let exists = Policy::parse(
        r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*",
            "Condition":{"StringNotLikeIfExists":{"aws:Referer":"https://site.example/*"},
                         "Null":{"aws:SourceIp":"false"}}}]}"#,
        "b",
    )
    .unwrap();
    let r = "arn:aws:s3:::b/x";
    let no_referer = ctx(&[("aws:SourceIp", "1.2.3.4")]);
    assert_eq!(
        decide(&exists, None, "s3:GetObject", r, &no_referer),
        Decision::Deny
    );
    let good_referer = ctx(&[
        ("aws:SourceIp", "1.2.3.4"),
        ("aws:Referer", "https://site.example/page"),
    ]);
    assert_eq!(
        decide(&exists, None, "s3:GetObject", r, &good_referer),
        Decision::NotApplicable
    );
}

#[test]
fn malformed_policies_are_refused_with_a_reason() {
    let cases = [
        ("not json", "valid JSON"),
        ("[]", "valid JSON"),
        (r#"{"Version":"2012-10-17"}"#, "Statement"),
        (r#"{"Version":"2099-01-01","Statement":[]}"#, "version"),
        (
            r#"{"Statement":[{"Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
            "Effect",
        ),
        (
            r#"{"Statement":[{"Effect":"Maybe","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
            "Invalid effect",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ec2:RunInstances","Resource":"arn:aws:s3:::b/*"}]}"#,
            "invalid action",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}"#,
            "invalid resource",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"x"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
            "principal",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringSortOf":{"a":"b"}}}]}"#,
            "condition operator",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"nonsense"}}}]}"#,
            "CIDR",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Bogus":1}]}"#,
            "Unknown field",
        ),
    ];
    for (doc, wanted) in cases {
        let e = Policy::parse(doc, "b").unwrap_err();
        assert!(e.0.contains(wanted), "{doc}: {e} (wanted {wanted})");
    }
}
