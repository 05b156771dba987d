//! Bucket notification configuration: PutBucketNotificationConfiguration /
//! GetBucketNotificationConfiguration through the SDK, with topics
//! registered through the admin API.

use crate::{code, setup, status};
use aws_sdk_s3::types::{
    Event, FilterRule, FilterRuleName, NotificationConfiguration, NotificationConfigurationFilter,
    QueueConfiguration, S3KeyFilter, TopicConfiguration,
};
use aws_sdk_s3::Client;
use tessera_cli::admin_client::AdminClient;
use tessera_test_harness::TestServer;

async fn create_topic(s: &TestServer, name: &str) -> String {
    let admin = AdminClient::new(&s.admin_endpoint(), &s.access_key, &s.secret_key).unwrap();
    admin
        .create_topic(name, "http://127.0.0.1:9/hook")
        .await
        .unwrap()
        .arn
}

fn filter(prefix: &str, suffix: &str) -> NotificationConfigurationFilter {
    NotificationConfigurationFilter::builder()
        .key(
            S3KeyFilter::builder()
                .filter_rules(
                    FilterRule::builder()
                        .name(FilterRuleName::Prefix)
                        .value(prefix)
                        .build(),
                )
                .filter_rules(
                    FilterRule::builder()
                        .name(FilterRuleName::Suffix)
                        .value(suffix)
                        .build(),
                )
                .build(),
        )
        .build()
}

fn topic_config(id: Option<&str>, arn: &str, events: &[&str]) -> TopicConfiguration {
    let mut b = TopicConfiguration::builder()
        .set_id(id.map(str::to_string))
        .topic_arn(arn);
    for e in events {
        b = b.events(Event::from(*e));
    }
    b.build().unwrap()
}

async fn put(
    c: &Client,
    bucket: &str,
    config: NotificationConfiguration,
) -> Result<(), aws_sdk_s3::error::SdkError<
    aws_sdk_s3::operation::put_bucket_notification_configuration::PutBucketNotificationConfigurationError,
    aws_sdk_s3::config::http::HttpResponse,
>>{
    c.put_bucket_notification_configuration()
        .bucket(bucket)
        .notification_configuration(config)
        .send()
        .await
        .map(|_| ())
}

async fn get(c: &Client, bucket: &str) -> Vec<TopicConfiguration> {
    c.get_bucket_notification_configuration()
        .bucket(bucket)
        .send()
        .await
        .unwrap()
        .topic_configurations
        .unwrap_or_default()
}

#[tokio::test]
async fn notification_round_trip_with_filters_and_empty_clears() {
    let (s, c) = setup("notify").await;
    assert!(get(&c, "notify").await.is_empty(), "none configured yet");
    let arn = create_topic(&s, "orders").await;

    let mut images = topic_config(Some("images"), &arn, &["s3:ObjectCreated:*"]);
    images.filter = Some(filter("images/", ".jpg"));
    let deletes = topic_config(None, &arn, &["s3:ObjectRemoved:Delete"]);
    let config = NotificationConfiguration::builder()
        .topic_configurations(images)
        .topic_configurations(deletes)
        .build();
    put(&c, "notify", config).await.unwrap();

    let got = get(&c, "notify").await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].id(), Some("images"));
    assert_eq!(got[0].topic_arn(), arn);
    assert_eq!(got[0].events(), [Event::from("s3:ObjectCreated:*")]);
    let rules = got[0].filter().unwrap().key().unwrap().filter_rules();
    let rules: Vec<(String, String)> = rules
        .iter()
        .map(|r| {
            (
                r.name().unwrap().as_str().to_ascii_lowercase(),
                r.value().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        rules,
        [
            ("prefix".to_string(), "images/".to_string()),
            ("suffix".to_string(), ".jpg".to_string())
        ]
    );
    let generated = got[1].id().unwrap();
    assert!(!generated.is_empty(), "an id is generated");
    assert_eq!(got[1].events(), [Event::from("s3:ObjectRemoved:Delete")]);
    assert!(got[1].filter().is_none());

    // The admin API shows the stored rules with the topic's name.
    let admin = AdminClient::new(&s.admin_endpoint(), &s.access_key, &s.secret_key).unwrap();
    let info = admin.bucket("notify").await.unwrap();
    let stored = info.notification.unwrap();
    assert_eq!(stored.rules.len(), 2);
    assert_eq!(stored.rules[0].topic, "orders");

    // An empty document clears the configuration.
    put(&c, "notify", NotificationConfiguration::builder().build())
        .await
        .unwrap();
    assert!(get(&c, "notify").await.is_empty());
    assert!(admin.bucket("notify").await.unwrap().notification.is_none());
}

#[tokio::test]
async fn notification_refuses_unknown_topics_queues_and_bad_events() {
    let (s, c) = setup("notify-bad").await;
    let arn = create_topic(&s, "orders").await;

    let unknown = NotificationConfiguration::builder()
        .topic_configurations(topic_config(
            Some("x"),
            "arn:aws:sns:us-east-1:000000000000:nope",
            &["s3:ObjectCreated:*"],
        ))
        .build();
    let err = put(&c, "notify-bad", unknown).await.unwrap_err();
    assert_eq!(code(&err), "InvalidArgument");
    assert_eq!(status(&err), 400);

    let queue = NotificationConfiguration::builder()
        .queue_configurations(
            QueueConfiguration::builder()
                .queue_arn("arn:aws:sqs:us-east-1:000000000000:q")
                .events(Event::from("s3:ObjectCreated:*"))
                .build()
                .unwrap(),
        )
        .build();
    let err = put(&c, "notify-bad", queue).await.unwrap_err();
    assert_eq!(code(&err), "InvalidArgument");
    assert!(format!("{err:?}").contains("not supported"), "{err:?}");

    let bad_event = NotificationConfiguration::builder()
        .topic_configurations(topic_config(Some("x"), &arn, &["s3:ObjectCreated:Nope"]))
        .build();
    let err = put(&c, "notify-bad", bad_event).await.unwrap_err();
    assert_eq!(code(&err), "InvalidArgument");

    let bad_arn = NotificationConfiguration::builder()
        .topic_configurations(topic_config(Some("x"), "orders", &["s3:ObjectCreated:*"]))
        .build();
    let err = put(&c, "notify-bad", bad_arn).await.unwrap_err();
    assert_eq!(code(&err), "InvalidArgument");

    let overlapping = NotificationConfiguration::builder()
        .topic_configurations(topic_config(Some("a"), &arn, &["s3:ObjectCreated:*"]))
        .topic_configurations(topic_config(Some("b"), &arn, &["s3:ObjectCreated:Put"]))
        .build();
    let err = put(&c, "notify-bad", overlapping).await.unwrap_err();
    assert_eq!(code(&err), "InvalidArgument");

    assert!(get(&c, "notify-bad").await.is_empty(), "nothing was stored");

    // Only the bucket's owner (or a policy) may configure it.
    let (ak, sk) = crate::admin::create_key(&s, "other").await;
    let other = s.client_as(&ak, &sk);
    let ok = NotificationConfiguration::builder()
        .topic_configurations(topic_config(Some("a"), &arn, &["s3:ObjectCreated:*"]))
        .build();
    let err = put(&other, "notify-bad", ok).await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    let err = other
        .get_bucket_notification_configuration()
        .bucket("notify-bad")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
}
