//! ACLs: canned ACLs and grants on create/put/copy/multipart and through the
//! ACL calls, enforced for anonymous clients and for other keys.

use crate::admin::create_key;
use crate::{code, get, put, setup, status};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    AccessControlPolicy, BucketCannedAcl, Grant, Grantee, ObjectCannedAcl, Owner, Permission, Type,
};

const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";

fn has_group_grant(grants: &[Grant], uri: &str, permission: Permission) -> bool {
    grants.iter().any(|g| {
        g.permission() == Some(&permission) && g.grantee().and_then(|e| e.uri()) == Some(uri)
    })
}

#[tokio::test]
async fn canned_acls_round_trip_and_are_enforced_for_anonymous_clients() {
    let (s, c) = setup("acl").await;
    put(&c, "acl", "private", "secret").await;
    c.put_object()
        .bucket("acl")
        .key("public")
        .acl(ObjectCannedAcl::PublicRead)
        .body(ByteStream::from_static(b"hello"))
        .send()
        .await
        .unwrap();
    let anon = s.raw();
    // Unsigned: the public object is readable, the private one is not,
    // and nobody may list or write.
    let r = anon.send("GET", "/acl/public", &[], "").await;
    assert_eq!((r.status, r.text()), (200, "hello".to_string()));
    let r = anon.send("GET", "/acl/private", &[], "").await;
    assert_eq!(r.status, 403);
    assert_eq!(r.error_code().as_deref(), Some("AccessDenied"));
    assert_eq!(anon.send("GET", "/acl", &[], "").await.status, 403);
    assert_eq!(anon.send("PUT", "/acl/new", &[], "x").await.status, 403);

    // GetObjectAcl shows the owner's FULL_CONTROL and the AllUsers READ.
    let acl = c
        .get_object_acl()
        .bucket("acl")
        .key("public")
        .send()
        .await
        .unwrap();
    let owner = acl.owner().and_then(|o| o.id()).unwrap().to_string();
    assert_eq!(owner, s.access_key);
    assert!(acl
        .grants()
        .iter()
        .any(|g| g.permission() == Some(&Permission::FullControl)
            && g.grantee().and_then(|e| e.id()) == Some(owner.as_str())));
    assert!(has_group_grant(acl.grants(), ALL_USERS, Permission::Read));

    // PutObjectAcl makes it private again.
    c.put_object_acl()
        .bucket("acl")
        .key("public")
        .acl(ObjectCannedAcl::Private)
        .send()
        .await
        .unwrap();
    assert_eq!(anon.send("GET", "/acl/public", &[], "").await.status, 403);

    // A public-read bucket lets anyone list it, not read its objects.
    c.put_bucket_acl()
        .bucket("acl")
        .acl(BucketCannedAcl::PublicRead)
        .send()
        .await
        .unwrap();
    let acl = c.get_bucket_acl().bucket("acl").send().await.unwrap();
    assert!(has_group_grant(acl.grants(), ALL_USERS, Permission::Read));
    let r = anon.send("GET", "/acl?list-type=2", &[], "").await;
    assert_eq!(r.status, 200);
    assert!(r.text().contains("<Key>private</Key>"));
    assert_eq!(anon.send("GET", "/acl/private", &[], "").await.status, 403);
    // public-read-write lets anyone write.
    c.put_bucket_acl()
        .bucket("acl")
        .acl(BucketCannedAcl::PublicReadWrite)
        .send()
        .await
        .unwrap();
    assert_eq!(anon.send("PUT", "/acl/drop", &[], "x").await.status, 200);
    assert_eq!(get(&c, "acl", "drop").await, b"x");
}

#[tokio::test]
async fn create_bucket_copy_and_multipart_take_acls() {
    let (s, c) = setup("acl").await;
    c.create_bucket()
        .bucket("open")
        .acl(BucketCannedAcl::PublicRead)
        .send()
        .await
        .unwrap();
    assert_eq!(s.raw().send("GET", "/open", &[], "").await.status, 200);

    put(&c, "acl", "src", "data").await;
    c.copy_object()
        .bucket("acl")
        .key("copy")
        .copy_source("acl/src")
        .acl(ObjectCannedAcl::PublicRead)
        .send()
        .await
        .unwrap();
    assert_eq!(s.raw().send("GET", "/acl/copy", &[], "").await.status, 200);

    let up = c
        .create_multipart_upload()
        .bucket("acl")
        .key("mp")
        .grant_read(format!("uri=\"{ALL_USERS}\""))
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap();
    let part = c
        .upload_part()
        .bucket("acl")
        .key("mp")
        .upload_id(id)
        .part_number(1)
        .body(ByteStream::from_static(b"parts"))
        .send()
        .await
        .unwrap();
    tessera_test_harness::complete_upload(&c, "acl", "mp", id, &[part.e_tag().unwrap().into()])
        .await;
    let r = s.raw().send("GET", "/acl/mp", &[], "").await;
    assert_eq!((r.status, r.text()), (200, "parts".to_string()));
}

#[tokio::test]
async fn another_key_is_refused_until_granted() {
    let (s, c) = setup("acl").await;
    put(&c, "acl", "k", "v").await;
    let (bob_id, bob_secret) = create_key(&s, "bob").await;
    let bob = s.client_as(&bob_id, &bob_secret);

    let err = bob
        .get_object()
        .bucket("acl")
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    let err = bob
        .list_objects_v2()
        .bucket("acl")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), 403);

    // An explicit grant by id, with the AccessControlPolicy document.
    let owner = Owner::builder().id(&s.access_key).build();
    let grant = Grant::builder()
        .grantee(
            Grantee::builder()
                .r#type(Type::CanonicalUser)
                .id(&bob_id)
                .build()
                .unwrap(),
        )
        .permission(Permission::Read)
        .build();
    c.put_object_acl()
        .bucket("acl")
        .key("k")
        .access_control_policy(
            AccessControlPolicy::builder()
                .owner(owner.clone())
                .grants(grant)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        bob.get_object()
            .bucket("acl")
            .key("k")
            .send()
            .await
            .unwrap()
            .body
            .collect()
            .await
            .unwrap()
            .into_bytes()
            .as_ref(),
        b"v"
    );
    // READ on the object is not READ on the bucket, nor WRITE.
    assert!(bob.list_objects_v2().bucket("acl").send().await.is_err());
    let err = bob
        .put_object()
        .bucket("acl")
        .key("k2")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied");

    // A bucket grant with the x-amz-grant-* headers.
    c.put_bucket_acl()
        .bucket("acl")
        .grant_write(format!("id=\"{bob_id}\""))
        .grant_read(format!("id=\"{bob_id}\""))
        .send()
        .await
        .unwrap();
    bob.put_object()
        .bucket("acl")
        .key("k2")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        bob.list_objects_v2()
            .bucket("acl")
            .send()
            .await
            .unwrap()
            .key_count(),
        Some(2)
    );
    // bob may not change the ACL (no WRITE_ACP).
    let err = bob
        .put_bucket_acl()
        .bucket("acl")
        .acl(BucketCannedAcl::PublicRead)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
}

#[tokio::test]
async fn invalid_acls_are_refused() {
    let (_s, c) = setup("acl").await;
    put(&c, "acl", "k", "v").await;
    // Canned and grant headers together.
    let err = c
        .put_object()
        .bucket("acl")
        .key("k")
        .acl(ObjectCannedAcl::PublicRead)
        .grant_read("id=\"x\"")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRequest");
    // A grant to an unknown principal.
    let err = c
        .put_bucket_acl()
        .bucket("acl")
        .grant_read("id=\"NOSUCHKEY\"")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidArgument");
    // By e-mail address.
    let err = c
        .put_bucket_acl()
        .bucket("acl")
        .grant_read("emailAddress=\"a@example.com\"")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "UnresolvableGrantByEmailAddress");
    // No ACL at all.
    let err = c.put_bucket_acl().bucket("acl").send().await.unwrap_err();
    assert_eq!(code(&err), "MissingSecurityHeader");
    // Missing object.
    let err = c
        .get_object_acl()
        .bucket("acl")
        .key("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchKey");
    // Nothing changed.
    let acl = c.get_bucket_acl().bucket("acl").send().await.unwrap();
    assert_eq!(acl.grants().len(), 1);
}
