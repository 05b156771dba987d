#![allow(clippy::unwrap_used)]

use super::*;

#[test]
fn list_all_my_buckets() {
    let doc = ListAllMyBucketsResult {
        owner: Owner {
            id: "id1".into(),
            display_name: "me".into(),
        },
        buckets: vec![
            Bucket {
                name: "a".into(),
                creation_date: "2019-12-11T23:32:47.000Z".into(),
                bucket_region: Some("us-east-1".into()),
            },
            Bucket {
                name: "b".into(),
                creation_date: "2019-12-11T23:32:48.000Z".into(),
                bucket_region: None,
            },
        ],
        continuation_token: None,
        prefix: None,
    };
    roundtrip(&doc);
    assert_eq!(
        body(&doc),
        "<Owner><ID>id1</ID><DisplayName>me</DisplayName></Owner><Buckets>\
         <Bucket><Name>a</Name><CreationDate>2019-12-11T23:32:47.000Z</CreationDate><BucketRegion>us-east-1</BucketRegion></Bucket>\
         <Bucket><Name>b</Name><CreationDate>2019-12-11T23:32:48.000Z</CreationDate></Bucket></Buckets>"
    );
    let empty = ListAllMyBucketsResult {
        owner: doc.owner.clone(),
        continuation_token: Some("t".into()),
        prefix: Some("p".into()),
        ..Default::default()
    };
    let xml = roundtrip(&empty);
    assert!(
        xml.contains(
            "<Buckets></Buckets><ContinuationToken>t</ContinuationToken><Prefix>p</Prefix>"
        ),
        "{xml}"
    );
}

#[test]
fn aws_list_buckets_example_parses() {
    let xml = r#"<ListAllMyBucketsResult>
  <Buckets>
    <Bucket>
      <CreationDate>2019-12-11T23:32:47+00:00</CreationDate>
      <Name>amzn-s3-demo-bucket</Name>
    </Bucket>
    <Bucket>
      <CreationDate>2019-11-10T23:32:13+00:00</CreationDate>
      <Name>amzn-s3-demo-bucket1</Name>
    </Bucket>
  </Buckets>
  <Owner>
    <DisplayName>Account+Name</DisplayName>
    <ID>AIDACKCEVSQ6C2EXAMPLE</ID>
  </Owner>
</ListAllMyBucketsResult>"#;
    let doc: ListAllMyBucketsResult = from_xml(xml.as_bytes()).unwrap();
    assert_eq!(doc.buckets.len(), 2);
    assert_eq!(doc.buckets[1].name, "amzn-s3-demo-bucket1");
    assert_eq!(doc.owner.display_name, "Account+Name");
}

#[test]
fn location_and_versioning() {
    let eu = LocationConstraint {
        location_constraint: Some("eu-west-1".into()),
    };
    assert_eq!(
        roundtrip(&eu),
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint {NS}>eu-west-1</LocationConstraint>")
    );
    for us in [None, Some("us-east-1".to_string()), Some(String::new())] {
        let xml = to_xml(&LocationConstraint {
            location_constraint: us,
        });
        assert_eq!(
            xml,
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint {NS}/>")
        );
    }
    let aws = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint {NS}>Europe</LocationConstraint>");
    let parsed: LocationConstraint = from_xml(aws.as_bytes()).unwrap();
    assert_eq!(parsed.location_constraint.as_deref(), Some("Europe"));

    let empty = VersioningConfiguration::default();
    assert_eq!(
        roundtrip(&empty),
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<VersioningConfiguration {NS}/>")
    );
    let on = VersioningConfiguration {
        status: Some("Enabled".into()),
        mfa_delete: Some("Disabled".into()),
    };
    assert_eq!(
        body(&on),
        "<Status>Enabled</Status><MfaDelete>Disabled</MfaDelete>"
    );
    roundtrip(&on);
}

#[test]
fn create_bucket_configuration() {
    for empty in [&b""[..], b"  \r\n\t"] {
        assert_eq!(
            CreateBucketConfiguration::parse(empty).unwrap(),
            CreateBucketConfiguration::default()
        );
    }
    let aws = b"<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"> \n  <LocationConstraint>Europe</LocationConstraint> \n</CreateBucketConfiguration >";
    let c = CreateBucketConfiguration::parse(aws).unwrap();
    assert_eq!(c.location_constraint.as_deref(), Some("Europe"));
    let bare = CreateBucketConfiguration::parse(b"<CreateBucketConfiguration/>").unwrap();
    assert_eq!(bare.location_constraint, None);
    roundtrip(&c);
    assert_eq!(
        code(CreateBucketConfiguration::parse(
            b"<CreateBucketConfiguration>"
        )),
        S3ErrorCode::MalformedXML
    );
    assert_eq!(
        code(CreateBucketConfiguration::parse(b"not xml")),
        S3ErrorCode::MalformedXML
    );
}
