use crate::{code, put, setup, status};
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use tessera_test_harness::TestServer;

#[tokio::test]
async fn create_list_head_delete() {
    let server = TestServer::start().await;
    let c = server.client();
    for b in ["alpha", "beta.dots", "gamma-1"] {
        c.create_bucket().bucket(b).send().await.unwrap();
    }
    let list = c.list_buckets().send().await.unwrap();
    let names: Vec<_> = list.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["alpha", "beta.dots", "gamma-1"]);
    assert!(list.buckets()[0].creation_date().is_some());
    assert!(list.owner().and_then(|o| o.id()).is_some());

    let head = c.head_bucket().bucket("alpha").send().await.unwrap();
    assert_eq!(head.bucket_region(), Some("us-east-1"));
    let err = c.head_bucket().bucket("missing").send().await.unwrap_err();
    assert_eq!(status(&err), 404);

    c.delete_bucket().bucket("gamma-1").send().await.unwrap();
    let err = c
        .delete_bucket()
        .bucket("gamma-1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchBucket");
}

#[tokio::test]
async fn location_constraint_and_location() {
    let server = TestServer::start().await;
    let c = server.client();
    c.create_bucket()
        .bucket("located")
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from("us-east-1"))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let loc = c
        .get_bucket_location()
        .bucket("located")
        .send()
        .await
        .unwrap();
    assert!(
        loc.location_constraint().is_none()
            || loc.location_constraint().map(|l| l.as_str()) == Some("")
    );
    let err = c
        .create_bucket()
        .bucket("elsewhere")
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "IllegalLocationConstraintException");
}

#[tokio::test]
async fn bucket_name_rules() {
    let server = TestServer::start().await;
    let c = server.client();
    for bad in [
        "ab",
        "UPPER",
        "under_score",
        "-dash",
        "dash-",
        "a..b",
        "192.168.1.1",
        "xn--abc",
    ] {
        let err = c.create_bucket().bucket(bad).send().await.unwrap_err();
        assert_eq!(code(&err), "InvalidBucketName", "{bad}");
    }
    let long = "a".repeat(64);
    let err = c.create_bucket().bucket(&long).send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidBucketName");
    c.create_bucket()
        .bucket("a".repeat(63))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn already_exists_and_owned_by_you() {
    let server = TestServer::start().await;
    let root = server.client();
    root.create_bucket().bucket("taken").send().await.unwrap();
    // us-east-1 answers 200 when you already own the bucket, like AWS.
    root.create_bucket().bucket("taken").send().await.unwrap();

    let key = crate::admin::create_key(&server, "other").await;
    let other = server.client_as(&key.0, &key.1);
    let err = other
        .create_bucket()
        .bucket("taken")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "BucketAlreadyExists");
    assert_eq!(status(&err), 409);
}

#[tokio::test]
async fn delete_non_empty_bucket_fails() {
    let (_server, c) = setup("full").await;
    put(&c, "full", "k", "v").await;
    let err = c.delete_bucket().bucket("full").send().await.unwrap_err();
    assert_eq!(code(&err), "BucketNotEmpty");
    assert_eq!(status(&err), 409);
    c.delete_object()
        .bucket("full")
        .key("k")
        .send()
        .await
        .unwrap();
    c.delete_bucket().bucket("full").send().await.unwrap();
}

#[tokio::test]
async fn buckets_belong_to_their_creator() {
    let server = TestServer::start().await;
    let (ak, sk) = crate::admin::create_key(&server, "alice").await;
    let alice = server.client_as(&ak, &sk);
    alice.create_bucket().bucket("alices").send().await.unwrap();
    put(&alice, "alices", "secret", "mine").await;
    let (bk, bs) = crate::admin::create_key(&server, "bob").await;
    let bob = server.client_as(&bk, &bs);
    let err = bob
        .get_object()
        .bucket("alices")
        .key("secret")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    let listed = bob.list_buckets().send().await.unwrap();
    assert!(listed.buckets().is_empty(), "bob sees no buckets of alice");
    let listed = alice.list_buckets().send().await.unwrap();
    assert_eq!(listed.buckets().len(), 1);
}

#[tokio::test]
async fn versioning_is_reported_unset() {
    let (_s, c) = setup("ver").await;
    let v = c
        .get_bucket_versioning()
        .bucket("ver")
        .send()
        .await
        .unwrap();
    assert!(v.status().is_none());
}

#[tokio::test]
async fn list_buckets_paginates_and_filters() {
    let (s, c) = setup("pg-a").await;
    for b in ["pg-b", "pg-c", "other"] {
        c.create_bucket().bucket(b).send().await.unwrap();
    }
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let r = c
            .list_buckets()
            .max_buckets(1)
            .set_continuation_token(token.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.buckets().len(), 1);
        seen.extend(
            r.buckets()
                .iter()
                .filter_map(|b| b.name())
                .map(str::to_string),
        );
        token = r.continuation_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen, ["other", "pg-a", "pg-b", "pg-c"]);

    let r = c
        .list_buckets()
        .prefix("pg-")
        .max_buckets(2)
        .send()
        .await
        .unwrap();
    let names: Vec<_> = r.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["pg-a", "pg-b"]);
    assert_eq!(r.prefix(), Some("pg-"));
    let r = c
        .list_buckets()
        .prefix("pg-")
        .max_buckets(2)
        .continuation_token(r.continuation_token().unwrap())
        .send()
        .await
        .unwrap();
    let names: Vec<_> = r.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["pg-c"]);
    assert_eq!(r.continuation_token(), None);

    // Without max-buckets every bucket is listed, with no token.
    let r = c.list_buckets().send().await.unwrap();
    assert_eq!(r.buckets().len(), 4);
    assert_eq!(r.continuation_token(), None);
    assert_eq!(r.prefix(), None);

    for bad in ["0", "10001", "x"] {
        let r = s
            .raw()
            .signed("GET", &format!("/?max-buckets={bad}"), &[], "", None)
            .await;
        assert_eq!(r.error_code().as_deref(), Some("InvalidArgument"), "{bad}");
    }
    let r = s
        .raw()
        .signed("GET", "/?continuation-token=%21%21", &[], "", None)
        .await;
    assert_eq!(r.error_code().as_deref(), Some("InvalidArgument"));
}
