#![allow(clippy::unwrap_used)]

use super::*;

fn version(key: &str) -> ObjectVersion {
    ObjectVersion {
        key: key.into(),
        version_id: "null".into(),
        is_latest: true,
        last_modified: "2009-10-12T17:50:30.000Z".into(),
        etag: "\"fba9dede5f27731c9771645a39863328\"".into(),
        checksum_algorithm: None,
        checksum_type: None,
        size: 434234,
        storage_class: "STANDARD".into(),
        owner: owner(),
    }
}

#[test]
fn list_versions_result() {
    let doc = ListVersionsResult {
        name: "bucket".into(),
        prefix: "my".into(),
        key_marker: String::new(),
        version_id_marker: String::new(),
        next_key_marker: Some("my-second-image.jpg".into()),
        next_version_id_marker: Some("null".into()),
        max_keys: 2,
        delimiter: Some("/".into()),
        is_truncated: true,
        encoding_type: None,
        versions: vec![version("my-image.jpg"), version("my-second-image.jpg")],
        common_prefixes: vec![CommonPrefix::new("my/")],
    };
    let xml = roundtrip(&doc);
    assert!(body(&doc).starts_with(
        "<Name>bucket</Name><Prefix>my</Prefix><KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker>\
         <NextKeyMarker>my-second-image.jpg</NextKeyMarker><NextVersionIdMarker>null</NextVersionIdMarker>\
         <MaxKeys>2</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>\
         <Version><Key>my-image.jpg</Key><VersionId>null</VersionId><IsLatest>true</IsLatest>\
         <LastModified>2009-10-12T17:50:30.000Z</LastModified>\
         <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag><Size>434234</Size><StorageClass>STANDARD</StorageClass>\
         <Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID><DisplayName>mtd@amazon.com</DisplayName></Owner></Version>"
    ), "{xml}");
    assert!(
        xml.ends_with("<CommonPrefixes><Prefix>my/</Prefix></CommonPrefixes></ListVersionsResult>")
    );
    let empty = ListVersionsResult {
        name: "b".into(),
        max_keys: 1000,
        encoding_type: Some("url".into()),
        ..Default::default()
    };
    roundtrip(&empty);
    assert_eq!(
        body(&empty),
        "<Name>b</Name><Prefix></Prefix><KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker>\
         <MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated><EncodingType>url</EncodingType>"
    );
}
