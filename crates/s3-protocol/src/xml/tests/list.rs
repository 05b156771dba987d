#![allow(clippy::unwrap_used)]

use super::*;

fn object(key: &str, owner: Option<Owner>) -> Object {
    Object {
        key: key.into(),
        last_modified: "2009-10-12T17:50:30.000Z".into(),
        etag: "\"fba9dede5f27731c9771645a39863328\"".into(),
        checksum_algorithm: None,
        checksum_type: None,
        size: 434234,
        storage_class: "STANDARD".into(),
        owner,
    }
}

#[test]
fn list_bucket_result_v1() {
    let doc = ListBucketResult {
        name: "bucket".into(),
        prefix: String::new(),
        marker: String::new(),
        next_marker: Some("photos/".into()),
        max_keys: 1000,
        delimiter: Some("/".into()),
        is_truncated: true,
        encoding_type: None,
        contents: vec![
            object("my-image.jpg", Some(owner())),
            object("a <&> \"b\" 'c'", Some(owner())),
        ],
        common_prefixes: vec![CommonPrefix::new("photos/")],
    };
    let xml = roundtrip(&doc);
    assert!(
        xml.contains("<Key>a &lt;&amp;&gt; &quot;b&quot; &apos;c&apos;</Key>"),
        "{xml}"
    );
    assert!(body(&doc).starts_with(
        "<Name>bucket</Name><Prefix></Prefix><Marker></Marker><NextMarker>photos/</NextMarker><MaxKeys>1000</MaxKeys>\
         <Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>\
         <Contents><Key>my-image.jpg</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>\
         <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag><Size>434234</Size><StorageClass>STANDARD</StorageClass>\
         <Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID><DisplayName>mtd@amazon.com</DisplayName></Owner></Contents>"
    ));
    assert!(xml
        .ends_with("<CommonPrefixes><Prefix>photos/</Prefix></CommonPrefixes></ListBucketResult>"));
    roundtrip(&ListBucketResult {
        name: "b".into(),
        max_keys: 0,
        ..Default::default()
    });
}

#[test]
fn aws_list_objects_example_parses() {
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
    <Name>bucket</Name>
    <Prefix/>
    <Marker/>
    <MaxKeys>1000</MaxKeys>
    <IsTruncated>false</IsTruncated>
    <Contents>
        <Key>my-image.jpg</Key>
        <LastModified>2009-10-12T17:50:30.000Z</LastModified>
        <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>
        <Size>434234</Size>
        <StorageClass>STANDARD</StorageClass>
        <Owner>
            <ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>
            <DisplayName>mtd@amazon.com</DisplayName>
        </Owner>
    </Contents>
    <Contents>
       <Key>my-third-image.jpg</Key>
         <LastModified>2009-10-12T17:50:30.000Z</LastModified>
        <ETag>&quot;1b2cf535f27731c974343645a3985328&quot;</ETag>
        <Size>64994</Size>
        <StorageClass>STANDARD_IA</StorageClass>
        <Owner>
            <ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>
            <DisplayName>mtd@amazon.com</DisplayName>
        </Owner>
    </Contents>
</ListBucketResult>"#;
    let doc: ListBucketResult = from_xml(xml.as_bytes()).unwrap();
    assert_eq!(
        doc.contents,
        vec![
            object("my-image.jpg", Some(owner())),
            Object {
                key: "my-third-image.jpg".into(),
                etag: "\"1b2cf535f27731c974343645a3985328\"".into(),
                size: 64994,
                storage_class: "STANDARD_IA".into(),
                ..object("", Some(owner()))
            }
        ]
    );
    assert_eq!(
        (
            doc.prefix.as_str(),
            doc.marker.as_str(),
            doc.max_keys,
            doc.is_truncated
        ),
        ("", "", 1000, false)
    );
}

#[test]
fn list_bucket_result_v2() {
    let mut o = object("ExampleObject.txt", None);
    o.checksum_algorithm = Some("CRC32".into());
    o.checksum_type = Some("FULL_OBJECT".into());
    let doc = ListBucketResultV2 {
        name: "bucket".into(),
        prefix: "E".into(),
        key_count: 2,
        max_keys: 2,
        delimiter: Some("/".into()),
        is_truncated: true,
        continuation_token: Some("1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=".into()),
        next_continuation_token: Some("next".into()),
        start_after: Some("ExampleGuide.pdf".into()),
        encoding_type: Some("url".into()),
        contents: vec![o],
        common_prefixes: vec![CommonPrefix::new("E/"), CommonPrefix::new("Ex/")],
    };
    let xml = roundtrip(&doc);
    assert_eq!(
        body(&doc),
        "<Name>bucket</Name><Prefix>E</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><Delimiter>/</Delimiter>\
         <IsTruncated>true</IsTruncated><ContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</ContinuationToken>\
         <NextContinuationToken>next</NextContinuationToken><StartAfter>ExampleGuide.pdf</StartAfter><EncodingType>url</EncodingType>\
         <Contents><Key>ExampleObject.txt</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>\
         <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag><ChecksumAlgorithm>CRC32</ChecksumAlgorithm>\
         <ChecksumType>FULL_OBJECT</ChecksumType><Size>434234</Size><StorageClass>STANDARD</StorageClass></Contents>\
         <CommonPrefixes><Prefix>E/</Prefix></CommonPrefixes><CommonPrefixes><Prefix>Ex/</Prefix></CommonPrefixes>"
    );
    assert!(xml.contains("<ListBucketResult xmlns="));
    let aws = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name>
  <Prefix/>
  <KeyCount>205</KeyCount>
  <MaxKeys>1000</MaxKeys>
  <IsTruncated>false</IsTruncated>
  <Contents>
    <Key>my-image.jpg</Key>
    <LastModified>2009-10-12T17:50:30.000Z</LastModified>
    <ETag>"fba9dede5f27731c9771645a39863328"</ETag>
    <Size>434234</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
</ListBucketResult>"#;
    let parsed: ListBucketResultV2 = from_xml(aws.as_bytes()).unwrap();
    assert_eq!(parsed.key_count, 205);
    assert_eq!(parsed.contents, vec![object("my-image.jpg", None)]);
}
