//! The admin API's keys, through the same client `tessera admin` uses.

use crate::code;
use tessera_cli::admin_client::AdminClient;
use tessera_gateway::admin::CreateKeyRequest;
use tessera_test_harness::TestServer;

pub async fn create_key(s: &TestServer, name: &str) -> (String, String) {
    let admin = AdminClient::new(&s.admin_endpoint(), &s.access_key, &s.secret_key).unwrap();
    let k = admin
        .create_key(&CreateKeyRequest {
            name: name.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    (k.access_key_id, k.secret_key.unwrap())
}

#[tokio::test]
async fn keys_create_list_delete() {
    let s = TestServer::start().await;
    let admin = AdminClient::new(&s.admin_endpoint(), &s.access_key, &s.secret_key).unwrap();
    let k = admin
        .create_key(&CreateKeyRequest {
            name: "ci".into(),
            access_key_id: Some("CIKEY123".into()),
            secret_key: Some("cisecret-123456".into()),
        })
        .await
        .unwrap();
    assert_eq!(k.access_key_id, "CIKEY123");
    let dup = admin
        .create_key(&CreateKeyRequest {
            name: "again".into(),
            access_key_id: Some("CIKEY123".into()),
            secret_key: Some("other-secret-1".into()),
        })
        .await;
    assert!(dup.is_err());
    let keys = admin.list_keys().await.unwrap();
    assert_eq!(keys.len(), 1);
    assert!(keys[0].secret_key.is_none(), "secrets are not listed");

    let c = s.client_as("CIKEY123", "cisecret-123456");
    c.create_bucket().bucket("ci-bucket").send().await.unwrap();
    admin.delete_key("CIKEY123").await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let err = c.list_buckets().send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidAccessKeyId");
    assert!(admin.delete_key("CIKEY123").await.is_err());
}

#[tokio::test]
async fn admin_needs_the_root_signature() {
    let s = TestServer::start().await;
    let (ak, sk) = create_key(&s, "user").await;
    let as_user = AdminClient::new(&s.admin_endpoint(), &ak, &sk).unwrap();
    assert!(as_user.list_keys().await.is_err());
    let wrong = AdminClient::new(&s.admin_endpoint(), &s.access_key, "wrong-secret").unwrap();
    assert!(wrong.list_keys().await.is_err());
}

#[tokio::test]
async fn health_ready_and_metrics() {
    let s = TestServer::start().await;
    let c = s.client();
    c.list_buckets().send().await.unwrap();
    let raw = tessera_test_harness::RawClient::new(s.admin_addr, "", "");
    assert_eq!(raw.send("GET", "/health", &[], "").await.status, 200);
    let ready = raw.send("GET", "/ready", &[], "").await;
    assert_eq!(ready.status, 200);
    assert!(
        ready.text().contains("\"storage_nodes\": 3"),
        "{}",
        ready.text()
    );
    let m = raw.send("GET", "/metrics", &[], "").await;
    assert!(
        m.text()
            .contains("tessera_s3_requests_total{op=\"ListBuckets\",status=\"200\"}"),
        "{}",
        m.text()
    );
}

#[tokio::test]
async fn buckets_show_owner_acl_and_policy() {
    use aws_sdk_s3::types::BucketCannedAcl;
    let s = TestServer::start().await;
    let c = s.client();
    let admin = AdminClient::new(&s.admin_endpoint(), &s.access_key, &s.secret_key).unwrap();
    c.create_bucket()
        .bucket("shown")
        .acl(BucketCannedAcl::PublicRead)
        .send()
        .await
        .unwrap();
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::shown/*"}]}"#;
    c.put_bucket_policy()
        .bucket("shown")
        .policy(policy)
        .send()
        .await
        .unwrap();
    let list = admin.list_buckets().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].owner, s.access_key);
    let b = admin.bucket("shown").await.unwrap();
    assert_eq!(b.owner, s.access_key);
    assert_eq!(b.acl.len(), 2);
    assert_eq!(
        (b.acl[0].grantee.as_str(), b.acl[0].permission.as_str()),
        (s.access_key.as_str(), "FULL_CONTROL")
    );
    assert_eq!(
        (b.acl[1].grantee.as_str(), b.acl[1].permission.as_str()),
        ("AllUsers", "READ")
    );
    assert_eq!(
        b.policy.unwrap()["Statement"][0]["Effect"],
        serde_json::Value::String("Deny".into())
    );
    assert_eq!(b.cors, None);
    let err = admin.bucket("nope").await.unwrap_err();
    assert!(err.to_string().contains("no bucket named nope"), "{err}");
}

#[tokio::test]
async fn topics_create_list_delete() {
    let s = TestServer::start().await;
    let admin = AdminClient::new(&s.admin_endpoint(), &s.access_key, &s.secret_key).unwrap();
    assert!(admin.list_topics().await.unwrap().is_empty());
    let t = admin
        .create_topic("orders", "https://events.example.com/hook")
        .await
        .unwrap();
    assert_eq!(t.name, "orders");
    assert_eq!(t.arn, "arn:aws:sns:us-east-1:000000000000:orders");
    assert_eq!(t.webhook, "https://events.example.com/hook");
    assert!(t.created > 0);

    // Refused: an existing name, a bad name, a webhook that is not an
    // http(s) URL.
    let dup = admin.create_topic("orders", "http://127.0.0.1:9/").await;
    assert!(dup.unwrap_err().to_string().contains("409"));
    for (name, webhook) in [
        ("", "http://127.0.0.1:9/"),
        ("a.b", "http://127.0.0.1:9/"),
        (&"x".repeat(257), "http://127.0.0.1:9/"),
        ("ok", "ftp://example.com/"),
        ("ok", "example.com/hook"),
    ] {
        let err = admin.create_topic(name, webhook).await.unwrap_err();
        assert!(err.to_string().contains("400"), "{name} {webhook}: {err}");
    }

    let topics = admin.list_topics().await.unwrap();
    assert_eq!(topics, vec![t]);
    admin.delete_topic("orders").await.unwrap();
    assert!(admin.list_topics().await.unwrap().is_empty());
    let missing = admin.delete_topic("orders").await.unwrap_err();
    assert!(missing.to_string().contains("404"), "{missing}");
}
