#![allow(clippy::unwrap_used)]

use super::*;

#[test]
fn copy_results() {
    let doc = CopyObjectResult {
        etag: "\"9b2cf535f27731c974343645a3985328\"".into(),
        last_modified: "2009-10-28T22:32:00.000Z".into(),
        checksum_type: Some("FULL_OBJECT".into()),
        checksum_crc32: Some("AAAAAA==".into()),
        checksum_crc64nvme: Some("AAAAAAAAAAA=".into()),
        ..Default::default()
    };
    roundtrip(&doc);
    assert_eq!(
        body(&doc),
        "<ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag><LastModified>2009-10-28T22:32:00.000Z</LastModified>\
         <ChecksumType>FULL_OBJECT</ChecksumType><ChecksumCRC32>AAAAAA==</ChecksumCRC32><ChecksumCRC64NVME>AAAAAAAAAAA=</ChecksumCRC64NVME>"
    );
    let part = CopyPartResult {
        etag: "\"e\"".into(),
        last_modified: "2009-10-28T22:32:00.000Z".into(),
        checksum_sha256: Some("s".into()),
        ..Default::default()
    };
    roundtrip(&part);
    assert_eq!(body(&part), "<ETag>&quot;e&quot;</ETag><LastModified>2009-10-28T22:32:00.000Z</LastModified><ChecksumSHA256>s</ChecksumSHA256>");
    let aws = "<CopyPartResult>\n   <LastModified>2009-10-28T22:32:00</LastModified>\n   <ETag>\"9b2cf535f27731c974343645a3985328\"</ETag>\n</CopyPartResult>";
    let parsed: CopyPartResult = from_xml(aws.as_bytes()).unwrap();
    assert_eq!(parsed.etag, "\"9b2cf535f27731c974343645a3985328\"");
    let parsed: CopyObjectResult =
        from_xml(aws.replace("CopyPartResult", "CopyObjectResult").as_bytes()).unwrap();
    assert_eq!(parsed.last_modified, "2009-10-28T22:32:00");
}

#[test]
fn initiate_and_complete_results() {
    let init = InitiateMultipartUploadResult {
        bucket: "example-bucket".into(),
        key: "example-object".into(),
        upload_id: "VXBsb2FkIElE".into(),
    };
    assert_eq!(
        roundtrip(&init),
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<InitiateMultipartUploadResult {NS}><Bucket>example-bucket</Bucket>\
                 <Key>example-object</Key><UploadId>VXBsb2FkIElE</UploadId></InitiateMultipartUploadResult>")
    );
    let done = CompleteMultipartUploadResult {
        location: "http://example-bucket.s3.example.com/Example-Object".into(),
        bucket: "example-bucket".into(),
        key: "Example-Object".into(),
        etag: "\"3858f62230ac3c915f300c664312c11f-9\"".into(),
        checksum_crc32c: Some("c==".into()),
        checksum_sha1: Some("s1".into()),
        checksum_type: Some("COMPOSITE".into()),
        ..Default::default()
    };
    roundtrip(&done);
    assert_eq!(
        body(&done),
        "<Location>http://example-bucket.s3.example.com/Example-Object</Location><Bucket>example-bucket</Bucket>\
         <Key>Example-Object</Key><ETag>&quot;3858f62230ac3c915f300c664312c11f-9&quot;</ETag>\
         <ChecksumCRC32C>c==</ChecksumCRC32C><ChecksumSHA1>s1</ChecksumSHA1><ChecksumType>COMPOSITE</ChecksumType>"
    );
}

#[test]
fn complete_multipart_upload_request() {
    let aws = br#"<CompleteMultipartUpload>
  <Part>
    <PartNumber>1</PartNumber>
    <ETag>"a54357aff0632cce46d942af68356b38"</ETag>
  </Part>
  <Part>
    <PartNumber>2</PartNumber>
    <ETag>"0c78aef83f66abc1fa1e8477f296d394"</ETag>
  </Part>
  <Part>
    <PartNumber>3</PartNumber>
    <ETag>"acbd18db4cc2f85cedef654fccc4a4d8"</ETag>
  </Part>
</CompleteMultipartUpload>"#;
    let c = CompleteMultipartUpload::parse(aws).unwrap();
    assert_eq!(
        c.parts.iter().map(|p| p.part_number).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(c.parts[2].etag, "\"acbd18db4cc2f85cedef654fccc4a4d8\"");
    roundtrip(&c);

    let sdk = br#"<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ChecksumCRC32>Vg2iAQ==</ChecksumCRC32><ETag>&quot;e1&quot;</ETag><PartNumber>1</PartNumber></Part><Part><ChecksumCRC32>AAAAAA==</ChecksumCRC32><ETag>"e2"</ETag><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>"#;
    let c = CompleteMultipartUpload::parse(sdk).unwrap();
    assert_eq!(c.parts[0].checksum_crc32.as_deref(), Some("Vg2iAQ=="));
    assert_eq!(c.parts[0].etag, "\"e1\"");
    assert_eq!(c.parts[1].part_number, 2);
    roundtrip(&c);

    for bad in [
        &b""[..],
        b"<CompleteMultipartUpload></CompleteMultipartUpload>",
        b"<CompleteMultipartUpload/>",
        b"<CompleteMultipartUpload><Part><ETag>e</ETag></Part></CompleteMultipartUpload>",
        b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>",
        b"<CompleteMultipartUpload><Part><PartNumber>one</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>",
        b"<CompleteMultipartUpload><Part><PartNumber>-1</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>",
        b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>e</ETag></Part>",
    ] {
        assert_eq!(code(CompleteMultipartUpload::parse(bad)), S3ErrorCode::MalformedXML, "{}", String::from_utf8_lossy(bad));
    }
}

#[test]
fn list_parts_result() {
    let initiator = Owner {
        id: "arn:aws:iam::111122223333:user/some-user".into(),
        display_name: "umat-user".into(),
    };
    let doc = ListPartsResult {
        bucket: "example-bucket".into(),
        key: "example-object".into(),
        upload_id: "XXBsb2FkIElE".into(),
        part_number_marker: 1,
        next_part_number_marker: Some(3),
        max_parts: 2,
        is_truncated: true,
        parts: vec![
            Part {
                part_number: 2,
                last_modified: "2010-11-10T20:48:34.000Z".into(),
                etag: "\"7778aef83f66abc1fa1e8477f296d394\"".into(),
                size: 10485760,
                ..Default::default()
            },
            Part {
                part_number: 3,
                last_modified: "2010-11-10T20:48:33.000Z".into(),
                etag: "\"aaaa\"".into(),
                size: 10485760,
                checksum_crc32: Some("c".into()),
                ..Default::default()
            },
        ],
        initiator: Some(initiator),
        owner: Some(owner()),
        storage_class: "STANDARD".into(),
        checksum_algorithm: Some("CRC32".into()),
        checksum_type: Some("COMPOSITE".into()),
    };
    roundtrip(&doc);
    let b = body(&doc);
    assert!(b.starts_with(
        "<Bucket>example-bucket</Bucket><Key>example-object</Key><UploadId>XXBsb2FkIElE</UploadId>\
         <PartNumberMarker>1</PartNumberMarker><NextPartNumberMarker>3</NextPartNumberMarker><MaxParts>2</MaxParts>\
         <IsTruncated>true</IsTruncated><Part><PartNumber>2</PartNumber><LastModified>2010-11-10T20:48:34.000Z</LastModified>\
         <ETag>&quot;7778aef83f66abc1fa1e8477f296d394&quot;</ETag><Size>10485760</Size></Part>\
         <Part><PartNumber>3</PartNumber><LastModified>2010-11-10T20:48:33.000Z</LastModified><ETag>&quot;aaaa&quot;</ETag>\
         <Size>10485760</Size><ChecksumCRC32>c</ChecksumCRC32></Part><Initiator><ID>"
    ), "{b}");
    assert!(b.ends_with("</Owner><StorageClass>STANDARD</StorageClass><ChecksumAlgorithm>CRC32</ChecksumAlgorithm><ChecksumType>COMPOSITE</ChecksumType>"), "{b}");

    let aws = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>example-bucket</Bucket>
  <Key>example-object</Key>
  <UploadId>XXBsb2FkIElEIGZvciBlbHZpbmcncyVcdS1tb3ZpZS5tMnRzEEEwbG9hZA</UploadId>
  <Initiator>
      <ID>arn:aws:iam::111122223333:user/some-user-11116a31-17b5-4fb7-9df5-b288870f11xx</ID>
      <DisplayName>umat-user-11116a31-17b5-4fb7-9df5-b288870f11xx</DisplayName>
  </Initiator>
  <Owner>
    <ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>
    <DisplayName>someName</DisplayName>
  </Owner>
  <StorageClass>STANDARD</StorageClass>
  <PartNumberMarker>1</PartNumberMarker>
  <NextPartNumberMarker>3</NextPartNumberMarker>
  <MaxParts>2</MaxParts>
  <IsTruncated>true</IsTruncated>
  <Part>
    <PartNumber>2</PartNumber>
    <LastModified>2010-11-10T20:48:34.000Z</LastModified>
    <ETag>"7778aef83f66abc1fa1e8477f296d394"</ETag>
    <Size>10485760</Size>
  </Part>
  <Part>
    <PartNumber>3</PartNumber>
    <LastModified>2010-11-10T20:48:33.000Z</LastModified>
    <ETag>"aaaa18db4cc2f85cedef654fccc4a4x8"</ETag>
    <Size>10485760</Size>
  </Part>
</ListPartsResult>"#;
    let parsed: ListPartsResult = from_xml(aws.as_bytes()).unwrap();
    assert_eq!(parsed.parts.len(), 2);
    assert_eq!(parsed.next_part_number_marker, Some(3));
    assert_eq!(
        parsed.owner.map(|o| o.display_name).as_deref(),
        Some("someName")
    );
}

#[test]
fn list_multipart_uploads_result() {
    let up = |key: &str| MultipartUpload {
        key: key.into(),
        upload_id: format!("id-{key}"),
        initiator: Some(owner()),
        owner: Some(owner()),
        storage_class: "STANDARD".into(),
        initiated: "2010-11-10T20:48:33.000Z".into(),
        checksum_algorithm: None,
        checksum_type: None,
    };
    let doc = ListMultipartUploadsResult {
        bucket: "bucket".into(),
        key_marker: String::new(),
        upload_id_marker: String::new(),
        next_key_marker: Some("my-movie.m2ts".into()),
        next_upload_id_marker: Some("YW55".into()),
        delimiter: Some("/".into()),
        prefix: "photos/".into(),
        max_uploads: 3,
        is_truncated: true,
        uploads: vec![up("my-divisor"), up("my-movie.m2ts")],
        common_prefixes: vec![CommonPrefix::new("photos/2006/")],
        encoding_type: Some("url".into()),
    };
    roundtrip(&doc);
    let b = body(&doc);
    assert!(b.starts_with(
        "<Bucket>bucket</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker><NextKeyMarker>my-movie.m2ts</NextKeyMarker>\
         <NextUploadIdMarker>YW55</NextUploadIdMarker><Delimiter>/</Delimiter><Prefix>photos/</Prefix><MaxUploads>3</MaxUploads>\
         <IsTruncated>true</IsTruncated><Upload><Key>my-divisor</Key><UploadId>id-my-divisor</UploadId><Initiator><ID>"
    ), "{b}");
    assert!(b.contains("</Owner><StorageClass>STANDARD</StorageClass><Initiated>2010-11-10T20:48:33.000Z</Initiated></Upload>"));
    assert!(b.ends_with("</Upload><CommonPrefixes><Prefix>photos/2006/</Prefix></CommonPrefixes><EncodingType>url</EncodingType>"));

    let aws = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>bucket</Bucket>
  <KeyMarker></KeyMarker>
  <UploadIdMarker></UploadIdMarker>
  <NextKeyMarker>my-movie.m2ts</NextKeyMarker>
  <NextUploadIdMarker>YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ</NextUploadIdMarker>
  <MaxUploads>3</MaxUploads>
  <IsTruncated>true</IsTruncated>
  <Upload>
    <Key>my-divisor</Key>
    <UploadId>XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw</UploadId>
    <Initiator>
      <ID>arn:aws:iam::111122223333:user/user1-11111a31-17b5-4fb7-9df5-b111111f13de</ID>
      <DisplayName>user1-11111a31-17b5-4fb7-9df5-b111111f13de</DisplayName>
    </Initiator>
    <Owner>
      <ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>
      <DisplayName>OwnerDisplayName</DisplayName>
    </Owner>
    <StorageClass>STANDARD</StorageClass>
    <Initiated>2010-11-10T20:48:33.000Z</Initiated>
  </Upload>
  <Upload>
    <Key>my-movie.m2ts</Key>
    <UploadId>VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>
    <Initiator>
      <ID>b1d16700c70b0b05597d7acd6a3f92be</ID>
      <DisplayName>InitiatorDisplayName</DisplayName>
    </Initiator>
    <Owner>
      <ID>b1d16700c70b0b05597d7acd6a3f92be</ID>
      <DisplayName>OwnerDisplayName</DisplayName>
    </Owner>
    <StorageClass>STANDARD</StorageClass>
    <Initiated>2010-11-10T20:48:33.000Z</Initiated>
  </Upload>
</ListMultipartUploadsResult>"#;
    let parsed: ListMultipartUploadsResult = from_xml(aws.as_bytes()).unwrap();
    assert_eq!(parsed.uploads.len(), 2);
    assert_eq!(parsed.max_uploads, 3);
    assert_eq!(parsed.prefix, "");
    assert_eq!(
        parsed.uploads[1]
            .initiator
            .as_ref()
            .map(|i| i.display_name.as_str()),
        Some("InitiatorDisplayName")
    );
}
