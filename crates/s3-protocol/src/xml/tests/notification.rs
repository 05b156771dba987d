#![allow(clippy::unwrap_used)]

use super::*;

const ARN: &str = "arn:aws:sns:us-east-1:000000000000:orders";

fn parse(inner: &str) -> Result<NotificationConfiguration, S3Error> {
    let doc = format!("<NotificationConfiguration {NS}>{inner}</NotificationConfiguration>");
    NotificationConfiguration::parse(doc.as_bytes())
}

fn topic(id: &str, events: &[&str], filter: &str) -> String {
    let events: String = events
        .iter()
        .map(|e| format!("<Event>{e}</Event>"))
        .collect();
    format!("<TopicConfiguration><Id>{id}</Id><Topic>{ARN}</Topic>{events}{filter}</TopicConfiguration>")
}

fn filter(rules: &[(&str, &str)]) -> String {
    let rules: String = rules
        .iter()
        .map(|(n, v)| format!("<FilterRule><Name>{n}</Name><Value>{v}</Value></FilterRule>"))
        .collect();
    format!("<Filter><S3Key>{rules}</S3Key></Filter>")
}

fn code_and_message(r: Result<NotificationConfiguration, S3Error>) -> (S3ErrorCode, String) {
    let e = r.unwrap_err();
    (e.code, e.message)
}

#[test]
fn parses_renders_and_round_trips() {
    let doc = parse(&format!(
        "{}{}",
        topic(
            "images",
            &["s3:ObjectCreated:*"],
            &filter(&[("prefix", "images/"), ("Suffix", ".jpg")])
        ),
        topic("deletes", &["s3:ObjectRemoved:Delete"], "")
    ))
    .unwrap();
    assert_eq!(doc.rules.len(), 2);
    let r = &doc.rules[0];
    assert_eq!(r.id, "images");
    assert_eq!(r.topic, "orders");
    assert_eq!(r.topic_arn, ARN);
    assert_eq!(r.events, ["s3:ObjectCreated:*"]);
    assert_eq!(r.prefix.as_deref(), Some("images/"));
    assert_eq!(r.suffix.as_deref(), Some(".jpg"));
    assert_eq!(doc.rules[1].prefix, None);
    let xml = to_xml(&doc);
    assert!(xml.contains(&format!(
        "<TopicConfiguration><Id>images</Id><Topic>{ARN}</Topic><Event>s3:ObjectCreated:*</Event>\
         <Filter><S3Key><FilterRule><Name>Prefix</Name><Value>images/</Value></FilterRule>\
         <FilterRule><Name>Suffix</Name><Value>.jpg</Value></FilterRule></S3Key></Filter></TopicConfiguration>"
    )), "{xml}");
    assert_eq!(
        NotificationConfiguration::parse(xml.as_bytes()).unwrap(),
        doc
    );
    let config = doc.clone().into_config().unwrap();
    assert_eq!(NotificationConfiguration::from(config), doc);
}

#[test]
fn generates_ids_and_accepts_old_documents() {
    // The 2006 API's form: no Id, one Event, no namespace.
    let old = format!(
        "<NotificationConfiguration><TopicConfiguration><Topic>{ARN}</Topic>\
         <Event>s3:ObjectCreated:Put</Event></TopicConfiguration></NotificationConfiguration>"
    );
    let a = NotificationConfiguration::parse(old.as_bytes()).unwrap();
    let b = NotificationConfiguration::parse(old.as_bytes()).unwrap();
    assert_eq!(a.rules.len(), 1);
    assert!(!a.rules[0].id.is_empty());
    assert_eq!(a, b, "the generated id is stable");
    assert_eq!(a.rules[0].events, ["s3:ObjectCreated:Put"]);
}

#[test]
fn empty_document_clears() {
    let doc = NotificationConfiguration::parse(b"<NotificationConfiguration/>").unwrap();
    assert!(doc.rules.is_empty());
    assert_eq!(doc.clone().into_config(), None);
    assert_eq!(
        to_xml(&doc),
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<NotificationConfiguration {NS}/>")
    );
}

#[test]
fn refuses_other_destinations() {
    for element in [
        "QueueConfiguration",
        "CloudFunctionConfiguration",
        "LambdaFunctionConfiguration",
        "EventBridgeConfiguration",
    ] {
        let (code, message) = code_and_message(parse(&format!(
            "<{element}><Id>q</Id><Queue>arn:aws:sqs:us-east-1:1:q</Queue>\
             <Event>s3:ObjectCreated:*</Event></{element}>"
        )));
        assert_eq!(code, S3ErrorCode::InvalidArgument, "{element}");
        assert!(message.contains("not supported"), "{message}");
    }
}

#[test]
fn refuses_bad_events_arns_and_filters() {
    let (code, message) = code_and_message(parse(&topic("a", &["s3:ObjectCreated:Nope"], "")));
    assert_eq!(code, S3ErrorCode::InvalidArgument);
    assert_eq!(message, "The event is not supported for notifications");

    for arn in [
        "arn:aws:sqs:us-east-1:1:orders",
        "arn:aws:sns:us-east-1:1",
        "arn:aws:sns::1:orders",
        "orders",
    ] {
        let doc = format!(
            "<TopicConfiguration><Topic>{arn}</Topic><Event>s3:ObjectCreated:*</Event></TopicConfiguration>"
        );
        assert_eq!(
            code_and_message(parse(&doc)).0,
            S3ErrorCode::InvalidArgument,
            "{arn}"
        );
    }

    for rules in [
        &[("prefix", "a"), ("PREFIX", "b")][..],
        &[("suffix", "a"), ("suffix", "a")][..],
        &[("middle", "a")][..],
    ] {
        let doc = topic("a", &["s3:ObjectCreated:*"], &filter(rules));
        assert_eq!(
            code_and_message(parse(&doc)).0,
            S3ErrorCode::InvalidArgument,
            "{rules:?}"
        );
    }

    // No Topic or no Event: not a valid document.
    let no_event = format!("<TopicConfiguration><Topic>{ARN}</Topic></TopicConfiguration>");
    assert_eq!(
        code_and_message(parse(&no_event)).0,
        S3ErrorCode::MalformedXML
    );
    let no_topic = "<TopicConfiguration><Event>s3:ObjectCreated:*</Event></TopicConfiguration>";
    assert_eq!(
        code_and_message(parse(no_topic)).0,
        S3ErrorCode::MalformedXML
    );
}

#[test]
fn refuses_overlapping_rules_and_duplicate_ids() {
    let overlapping = [
        // The same event, no filters.
        (
            topic("a", &["s3:ObjectCreated:*"], ""),
            topic("b", &["s3:ObjectCreated:Put"], ""),
        ),
        // Prefixes where one extends the other.
        (
            topic("a", &["s3:ObjectCreated:*"], &filter(&[("prefix", "img/")])),
            topic(
                "b",
                &["s3:ObjectCreated:*"],
                &filter(&[("prefix", "img/raw/")]),
            ),
        ),
        // A filtered rule and an unfiltered one.
        (
            topic("a", &["s3:ObjectRemoved:*"], &filter(&[("suffix", ".jpg")])),
            topic("b", &["s3:ObjectRemoved:Delete"], ""),
        ),
    ];
    for (a, b) in overlapping {
        let (code, message) = code_and_message(parse(&format!("{a}{b}")));
        assert_eq!(code, S3ErrorCode::InvalidArgument, "{a}{b}");
        assert!(message.contains("overlap"), "{message}");
    }
    let disjoint = [
        (
            topic("a", &["s3:ObjectCreated:*"], ""),
            topic("b", &["s3:ObjectRemoved:*"], ""),
        ),
        (
            topic("a", &["s3:ObjectCreated:*"], &filter(&[("prefix", "img/")])),
            topic("b", &["s3:ObjectCreated:*"], &filter(&[("prefix", "doc/")])),
        ),
        (
            topic("a", &["s3:ObjectCreated:*"], &filter(&[("suffix", ".jpg")])),
            topic("b", &["s3:ObjectCreated:*"], &filter(&[("suffix", ".png")])),
        ),
    ];
    for (a, b) in disjoint {
        parse(&format!("{a}{b}")).unwrap();
    }
    let same_id = format!(
        "{}{}",
        topic("a", &["s3:ObjectCreated:*"], ""),
        topic("a", &["s3:ObjectRemoved:*"], "")
    );
    assert_eq!(
        code_and_message(parse(&same_id)).0,
        S3ErrorCode::InvalidArgument
    );
}
