use crate::{code, put, setup};
use aws_sdk_s3::types::{Delete, ObjectIdentifier};

fn ids(keys: &[&str]) -> Delete {
    Delete::builder()
        .set_objects(Some(
            keys.iter()
                .map(|k| ObjectIdentifier::builder().key(*k).build().unwrap())
                .collect(),
        ))
        .build()
        .unwrap()
}

#[tokio::test]
async fn delete_object_is_idempotent() {
    let (_s, c) = setup("del").await;
    put(&c, "del", "k", "v").await;
    c.delete_object()
        .bucket("del")
        .key("k")
        .send()
        .await
        .unwrap();
    c.delete_object()
        .bucket("del")
        .key("k")
        .send()
        .await
        .unwrap();
    let err = c
        .get_object()
        .bucket("del")
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchKey");
}

#[tokio::test]
async fn delete_objects_verbose_and_quiet() {
    let (_s, c) = setup("del").await;
    for k in ["a", "b", "c", "d"] {
        put(&c, "del", k, "v").await;
    }
    let r = c
        .delete_objects()
        .bucket("del")
        .delete(ids(&["a", "b", "missing"]))
        .send()
        .await
        .unwrap();
    let deleted: Vec<_> = r.deleted().iter().filter_map(|d| d.key()).collect();
    assert_eq!(deleted, ["a", "b", "missing"]);
    assert!(r.errors().is_empty());
    let mut quiet = ids(&["c", "d"]);
    quiet.quiet = Some(true);
    let r = c
        .delete_objects()
        .bucket("del")
        .delete(quiet)
        .send()
        .await
        .unwrap();
    assert!(r.deleted().is_empty());
    let left = c.list_objects_v2().bucket("del").send().await.unwrap();
    assert_eq!(left.key_count(), Some(0));
}

#[tokio::test]
async fn delete_objects_limits() {
    let (s, c) = setup("del").await;
    let keys: Vec<String> = (0..1000).map(|i| format!("k{i}")).collect();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let r = c
        .delete_objects()
        .bucket("del")
        .delete(ids(&refs))
        .send()
        .await
        .unwrap();
    assert_eq!(r.deleted().len(), 1000);
    let mut body = String::from("<Delete>");
    for i in 0..1001 {
        body.push_str(&format!("<Object><Key>k{i}</Key></Object>"));
    }
    body.push_str("</Delete>");
    use base64::Engine as _;
    use md5::Digest;
    let md5 = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(body.as_bytes()));
    let r = s
        .raw()
        .signed("POST", "/del?delete", &[("content-md5", &md5)], body, None)
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_code().as_deref(), Some("MalformedXML"));
}

#[tokio::test]
async fn delete_objects_reports_invalid_keys_and_deletes_the_rest() {
    let (s, c) = setup("delb").await;
    for k in ["a", "b"] {
        put(&c, "delb", k, "v").await;
    }
    let long = "k".repeat(1025);
    let body = format!("<Delete><Object><Key>a</Key></Object><Object><Key>{long}</Key></Object><Object><Key>b</Key></Object><Object><Key>a</Key></Object></Delete>");
    use base64::Engine as _;
    use md5::Digest;
    let md5 = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(body.as_bytes()));
    let r = s
        .raw()
        .signed("POST", "/delb?delete", &[("content-md5", &md5)], body, None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let t = r.text();
    assert!(
        t.contains("<Deleted><Key>a</Key></Deleted>")
            && t.contains("<Deleted><Key>b</Key></Deleted>"),
        "{t}"
    );
    assert!(t.contains("<Code>KeyTooLongError</Code>"), "{t}");
    let left = c.list_objects_v2().bucket("delb").send().await.unwrap();
    assert_eq!(left.key_count(), Some(0));
}
