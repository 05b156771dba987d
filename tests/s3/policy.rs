//! Bucket policies: stored, validated and enforced, for anonymous clients,
//! other keys and the owner.

use crate::admin::create_key;
use crate::{code, put, setup, status};
use aws_sdk_s3::primitives::ByteStream;

fn public_read(bucket: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"PublicRead","Effect":"Allow",
        "Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*"}}]}}"#
    )
}

#[tokio::test]
async fn put_get_delete_and_errors() {
    let (_s, c) = setup("pol").await;
    let err = c
        .get_bucket_policy()
        .bucket("pol")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchBucketPolicy");
    assert_eq!(status(&err), 404);

    let doc = public_read("pol");
    c.put_bucket_policy()
        .bucket("pol")
        .policy(&doc)
        .send()
        .await
        .unwrap();
    let got = c.get_bucket_policy().bucket("pol").send().await.unwrap();
    assert_eq!(got.policy(), Some(doc.as_str()));

    for (bad, wanted) in [
        ("not json", "valid JSON"),
        (
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}"#,
            "invalid resource",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}]}"#,
            "Resource",
        ),
    ] {
        let err = c
            .put_bucket_policy()
            .bucket("pol")
            .policy(bad)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "MalformedPolicy", "{bad}");
        let message = err
            .as_service_error()
            .and_then(|e| aws_sdk_s3::error::ProvideErrorMetadata::message(e).map(str::to_string));
        assert!(
            message.as_deref().is_some_and(|m| m.contains(wanted)),
            "{bad}: {message:?}"
        );
    }
    // The valid policy is still in place.
    assert_eq!(
        c.get_bucket_policy()
            .bucket("pol")
            .send()
            .await
            .unwrap()
            .policy(),
        Some(doc.as_str())
    );
    c.delete_bucket_policy().bucket("pol").send().await.unwrap();
    let err = c
        .get_bucket_policy()
        .bucket("pol")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchBucketPolicy");
    let err = c
        .put_bucket_policy()
        .bucket("nosuch")
        .policy(public_read("nosuch"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchBucket");
}

#[tokio::test]
async fn principal_star_opens_objects_to_anonymous_clients() {
    let (s, c) = setup("site").await;
    put(&c, "site", "index.html", "<h1>hi</h1>").await;
    let anon = s.raw();
    assert_eq!(
        anon.send("GET", "/site/index.html", &[], "").await.status,
        403
    );
    c.put_bucket_policy()
        .bucket("site")
        .policy(public_read("site"))
        .send()
        .await
        .unwrap();
    let r = anon.send("GET", "/site/index.html", &[], "").await;
    assert_eq!((r.status, r.text()), (200, "<h1>hi</h1>".to_string()));
    // Only GetObject: no listing, no writes, no policy reads.
    assert_eq!(anon.send("GET", "/site", &[], "").await.status, 403);
    assert_eq!(anon.send("PUT", "/site/x", &[], "x").await.status, 403);
    assert_eq!(anon.send("GET", "/site?policy", &[], "").await.status, 403);
    // As in S3, a missing key is 403 to whoever may not list the bucket.
    assert_eq!(anon.send("GET", "/site/missing", &[], "").await.status, 403);
    c.put_bucket_policy()
        .bucket("site")
        .policy(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:ListBucket"],
                "Resource":["arn:aws:s3:::site","arn:aws:s3:::site/*"]}]}"#,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(anon.send("GET", "/site/missing", &[], "").await.status, 404);
}

#[tokio::test]
async fn conditions_on_source_ip_and_prefix() {
    let (s, c) = setup("cond").await;
    put(&c, "cond", "public/a", "a").await;
    put(&c, "cond", "secret/b", "b").await;
    let policy = r#"{"Version":"2012-10-17","Statement":[
      {"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::cond",
       "Condition":{"StringLike":{"s3:prefix":"public/*"},"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}},
      {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::cond/*",
       "Condition":{"NotIpAddress":{"aws:SourceIp":"127.0.0.0/8"}}}
    ]}"#;
    c.put_bucket_policy()
        .bucket("cond")
        .policy(policy)
        .send()
        .await
        .unwrap();
    let anon = s.raw();
    assert_eq!(
        anon.send("GET", "/cond?list-type=2&prefix=public/", &[], "")
            .await
            .status,
        200
    );
    assert_eq!(
        anon.send("GET", "/cond?list-type=2&prefix=secret/", &[], "")
            .await
            .status,
        403
    );
    assert_eq!(
        anon.send("GET", "/cond?list-type=2", &[], "").await.status,
        403
    );
    // Requests come from loopback: the NotIpAddress allow does not apply.
    assert_eq!(
        anon.send("GET", "/cond/public/a", &[], "").await.status,
        403
    );
}

#[tokio::test]
async fn explicit_deny_wins_even_for_the_owner() {
    let (s, c) = setup("deny").await;
    put(&c, "deny", "keep/a", "a").await;
    put(&c, "deny", "tmp/b", "b").await;
    let (owner_id, owner_secret) = create_key(&s, "owner").await;
    let owner = s.client_as(&owner_id, &owner_secret);
    owner.create_bucket().bucket("owned").send().await.unwrap();
    put(&owner, "owned", "keep/a", "a").await;
    let policy = r#"{"Version":"2012-10-17","Statement":[
      {"Effect":"Deny","Principal":"*","Action":["s3:DeleteObject","s3:PutObject"],"Resource":"arn:aws:s3:::owned/keep/*"}
    ]}"#;
    owner
        .put_bucket_policy()
        .bucket("owned")
        .policy(policy)
        .send()
        .await
        .unwrap();
    // The owner's own key is refused by the Deny...
    let err = owner
        .delete_object()
        .bucket("owned")
        .key("keep/a")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    let err = owner
        .put_object()
        .bucket("owned")
        .key("keep/new")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    // ...and so is each denied key of a multi-delete, alone.
    let del = owner
        .delete_objects()
        .bucket("owned")
        .delete(
            aws_sdk_s3::types::Delete::builder()
                .objects(
                    aws_sdk_s3::types::ObjectIdentifier::builder()
                        .key("keep/a")
                        .build()
                        .unwrap(),
                )
                .objects(
                    aws_sdk_s3::types::ObjectIdentifier::builder()
                        .key("other")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(del.errors().len(), 1);
    assert_eq!(del.errors()[0].key(), Some("keep/a"));
    assert_eq!(del.errors()[0].code(), Some("AccessDenied"));
    // Other keys are not affected, and the policy can still be removed by
    // the owner (its Deny does not name policy actions).
    put(&owner, "owned", "tmp/x", "x").await;
    owner
        .delete_bucket_policy()
        .bucket("owned")
        .send()
        .await
        .unwrap();
    owner
        .delete_object()
        .bucket("owned")
        .key("keep/a")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_policy_lets_another_key_in() {
    let (s, c) = setup("shared").await;
    put(&c, "shared", "doc", "d").await;
    let (bob_id, bob_secret) = create_key(&s, "bob").await;
    let bob = s.client_as(&bob_id, &bob_secret);
    let err = bob
        .get_object()
        .bucket("shared")
        .key("doc")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow",
        "Principal":{{"AWS":["arn:aws:iam::000000000000:user/{bob_id}"]}},
        "Action":["s3:GetObject","s3:ListBucket"],
        "Resource":["arn:aws:s3:::shared","arn:aws:s3:::shared/*"]}}]}}"#
    );
    c.put_bucket_policy()
        .bucket("shared")
        .policy(policy)
        .send()
        .await
        .unwrap();
    bob.get_object()
        .bucket("shared")
        .key("doc")
        .send()
        .await
        .unwrap();
    assert_eq!(
        bob.list_objects_v2()
            .bucket("shared")
            .send()
            .await
            .unwrap()
            .key_count(),
        Some(1)
    );
    // Still no writes, and anonymous clients are not bob.
    assert!(bob
        .put_object()
        .bucket("shared")
        .key("x")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .is_err());
    assert_eq!(
        s.raw().send("GET", "/shared/doc", &[], "").await.status,
        403
    );
}

#[tokio::test]
async fn copy_source_condition() {
    let (s, c) = setup("src").await;
    put(&c, "src", "public/a", "a").await;
    put(&c, "src", "private/b", "b").await;
    c.create_bucket().bucket("dst").send().await.unwrap();
    let (bob_id, bob_secret) = create_key(&s, "bob").await;
    let bob = s.client_as(&bob_id, &bob_secret);
    c.put_bucket_policy()
        .bucket("src")
        .policy(r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::src/*"}]}"#)
        .send()
        .await
        .unwrap();
    c.put_bucket_policy()
        .bucket("dst")
        .policy(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::dst/*",
                "Condition":{"StringLike":{"s3:x-amz-copy-source":"src/public/*"}}}]}"#,
        )
        .send()
        .await
        .unwrap();
    bob.copy_object()
        .bucket("dst")
        .key("copy")
        .copy_source("src/public/a")
        .send()
        .await
        .unwrap();
    let err = bob
        .copy_object()
        .bucket("dst")
        .key("copy2")
        .copy_source("src/private/b")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    // A plain PUT has no copy source: refused.
    let err = bob
        .put_object()
        .bucket("dst")
        .key("plain")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
}
