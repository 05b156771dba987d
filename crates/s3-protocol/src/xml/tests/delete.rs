#![allow(clippy::unwrap_used)]

use super::*;

#[test]
fn delete_request() {
    let aws = br#"<Delete>
  <Object>
    <Key>sample1.txt</Key>
  </Object>
  <Object>
    <Key>sample2.txt</Key>
  </Object>
</Delete>"#;
    let d = Delete::parse(aws).unwrap();
    assert!(!d.quiet);
    assert_eq!(
        d.objects.iter().map(|o| o.key.as_str()).collect::<Vec<_>>(),
        ["sample1.txt", "sample2.txt"]
    );

    let sdk = br#"<?xml version="1.0" encoding="UTF-8"?>
<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
    <Quiet>true</Quiet>
    <Object>
         <Key>Key</Key>
         <VersionId>VersionId</VersionId>
    </Object>
    <Object><Key>k&amp;&lt;2&gt;</Key><ETag>"abc"</ETag></Object>
</Delete>"#;
    let d = Delete::parse(sdk).unwrap();
    assert!(d.quiet);
    assert_eq!(Delete::parse(to_xml(&d).as_bytes()).unwrap(), d);
    assert_eq!(
        d.objects[0],
        ObjectIdentifier {
            key: "Key".into(),
            version_id: Some("VersionId".into()),
            etag: None
        }
    );
    assert_eq!(d.objects[1].key, "k&<2>");
    assert_eq!(d.objects[1].etag.as_deref(), Some("\"abc\""));
}

#[test]
fn delete_request_keys_keep_whitespace() {
    let d = Delete::parse(b"<Delete><Object><Key> spaced key </Key></Object><Object><Key>\ttab\n</Key></Object></Delete>").unwrap();
    assert_eq!(d.objects[0].key, " spaced key ");
    assert_eq!(d.objects[1].key, "\ttab\n");
    let d =
        Delete::parse(b"<Delete><Object><Key>a<![CDATA[ <b> ]]>c &#x20;</Key></Object></Delete>")
            .unwrap();
    assert_eq!(d.objects[0].key, "a <b> c  ");
    let d = Delete::parse(b"<Delete><Object><Key/></Object></Delete>").unwrap();
    assert_eq!(d.objects[0].key, "");
    let d = Delete::parse(b"<s3:Delete xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\"><s3:Object><s3:Key>k</s3:Key><Extra><Key>no</Key></Extra></s3:Object><Unknown/></s3:Delete>").unwrap();
    assert_eq!(
        d.objects,
        vec![ObjectIdentifier {
            key: "k".into(),
            ..Default::default()
        }]
    );
    let quiet_variants = [
        ("<Quiet> true </Quiet>", true),
        ("<Quiet>False</Quiet>", false),
        ("", false),
    ];
    for (q, want) in quiet_variants {
        let body = format!("<Delete>{q}<Object><Key>k</Key></Object></Delete>");
        assert_eq!(Delete::parse(body.as_bytes()).unwrap().quiet, want, "{q}");
    }
}

#[test]
fn delete_request_limits() {
    let many = |n: usize| {
        let mut s = String::from("<Delete>");
        for i in 0..n {
            s.push_str(&format!("<Object><Key>k{i}</Key></Object>"));
        }
        s.push_str("</Delete>");
        s
    };
    assert_eq!(
        Delete::parse(many(1000).as_bytes()).unwrap().objects.len(),
        1000
    );
    assert_eq!(
        code(Delete::parse(many(1001).as_bytes())),
        S3ErrorCode::MalformedXML
    );
    assert_eq!(
        code(Delete::parse(many(0).as_bytes())),
        S3ErrorCode::MalformedXML
    );
    for bad in [
        &b""[..],
        b"   ",
        b"<Delete>",
        b"<Delete><Object></Object></Delete>",
        b"<Delete><Quiet>maybe</Quiet><Object><Key>k</Key></Object></Delete>",
        b"\xff\xfe",
        b"{}",
        b"<Other><Object><Key>k</Key></Object></Other>",
        b"<Delete><Object><Key>k</Key></Object></Delete><Delete/>",
        b"<Delete><Object><Key>k</Key></Object>",
        b"<Delete><Object><Key>k</Object></Key></Delete>",
        b"<Delete/>",
        b"<Delete><Object><Key>k</Key></Object></Delete>trailing",
        b"<Delete><Object><Key>&bogus;</Key></Object></Delete>",
    ] {
        assert_eq!(
            code(Delete::parse(bad)),
            S3ErrorCode::MalformedXML,
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn delete_result() {
    let doc = DeleteResult {
        deleted: vec![
            DeletedObject {
                key: "sample1.txt".into(),
                ..Default::default()
            },
            DeletedObject {
                key: "v".into(),
                version_id: Some("1".into()),
                delete_marker: Some(true),
                delete_marker_version_id: Some("2".into()),
            },
        ],
        errors: vec![DeleteError {
            key: "sample2.txt".into(),
            version_id: None,
            code: "AccessDenied".into(),
            message: "Access Denied".into(),
        }],
    };
    roundtrip(&doc);
    assert_eq!(
        body(&doc),
        "<Deleted><Key>sample1.txt</Key></Deleted>\
         <Deleted><Key>v</Key><VersionId>1</VersionId><DeleteMarker>true</DeleteMarker><DeleteMarkerVersionId>2</DeleteMarkerVersionId></Deleted>\
         <Error><Key>sample2.txt</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
    );
    assert_eq!(
        to_xml(&DeleteResult::default()),
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DeleteResult {NS}/>")
    );
    let aws = r#"<?xml version="1.0" encoding="UTF-8"?>
<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Deleted>
    <Key>sample1.txt</Key>
  </Deleted>
  <Error>
    <Key>sample2.txt</Key>
    <Code>AccessDenied</Code>
    <Message>Access Denied</Message>
  </Error>
</DeleteResult>"#;
    let parsed: DeleteResult = from_xml(aws.as_bytes()).unwrap();
    assert_eq!(parsed.deleted.len(), 1);
    assert_eq!(parsed.errors, doc.errors);
}

#[test]
fn from_xml_rejects_garbage() {
    for bad in [
        &b""[..],
        b"\n",
        b"<",
        b"<a><b></a>",
        b"\xc3\x28",
        b"plain text",
    ] {
        assert_eq!(
            code(from_xml::<CompleteMultipartUpload>(bad)),
            S3ErrorCode::MalformedXML
        );
    }
}
