//! ACLs are not supported yet: `x-amz-acl: private` and
//! `bucket-owner-full-control` (which describe what Tessera does) are
//! accepted; any other canned ACL or grant is refused with NotImplemented.

use crate::{code, put, setup, status};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketCannedAcl, ObjectCannedAcl};

#[tokio::test]
async fn owner_only_canned_acls_are_accepted() {
    let (_s, c) = setup("acl").await;
    // rclone creates buckets and writes objects with x-amz-acl: private.
    c.create_bucket()
        .bucket("acl2")
        .acl(BucketCannedAcl::Private)
        .send()
        .await
        .unwrap();
    for acl in [
        ObjectCannedAcl::Private,
        ObjectCannedAcl::BucketOwnerFullControl,
    ] {
        c.put_object()
            .bucket("acl2")
            .key("k")
            .acl(acl.clone())
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .unwrap();
        c.copy_object()
            .bucket("acl2")
            .key("copy")
            .copy_source("acl2/k")
            .acl(acl.clone())
            .send()
            .await
            .unwrap();
        c.create_multipart_upload()
            .bucket("acl2")
            .key("mp")
            .acl(acl)
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn other_canned_acls_and_grants_are_refused() {
    let (s, c) = setup("acl").await;
    put(&c, "acl", "src", "x").await;

    let err = c
        .create_bucket()
        .bucket("public")
        .acl(BucketCannedAcl::PublicRead)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NotImplemented");
    assert_eq!(status(&err), 501);
    let err = c
        .create_bucket()
        .bucket("public")
        .grant_read("uri=\"http://acs.amazonaws.com/groups/global/AllUsers\"")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NotImplemented");
    assert!(c.head_bucket().bucket("public").send().await.is_err());

    let err = c
        .put_object()
        .bucket("acl")
        .key("k")
        .acl(ObjectCannedAcl::PublicRead)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NotImplemented");
    assert!(err
        .as_service_error()
        .and_then(aws_sdk_s3::error::ProvideErrorMetadata::message)
        .is_some_and(|m| m.contains("public-read")));
    let err = c
        .put_object()
        .bucket("acl")
        .key("k")
        .grant_full_control("id=someone")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NotImplemented");
    let err = c
        .copy_object()
        .bucket("acl")
        .key("k")
        .copy_source("acl/src")
        .acl(ObjectCannedAcl::AuthenticatedRead)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NotImplemented");
    let err = c
        .create_multipart_upload()
        .bucket("acl")
        .key("k")
        .acl(ObjectCannedAcl::PublicReadWrite)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NotImplemented");
    // Nothing was written.
    let r = s.raw().signed("HEAD", "/acl/k", &[], "", None).await;
    assert_eq!(r.status, 404);
}
