//! The S3 client the benchmark drives: aws-sdk-s3, path-style, signed with
//! the given key. Request checksums are sent only where the API requires
//! them: the benchmark verifies every body itself, and the client's CPU is
//! not what is being measured.

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::config::{RequestChecksumCalculation, ResponseChecksumValidation};
use std::time::Duration;

pub fn build(
    endpoint: &str,
    access_key: &str,
    secret_key: &str,
    region: &str,
) -> aws_sdk_s3::Client {
    let creds = Credentials::new(access_key, secret_key, None, None, "tessera-bench");
    let timeouts = aws_smithy_types::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(Duration::from_secs(300))
        .build();
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .endpoint_url(endpoint)
        .credentials_provider(creds)
        .force_path_style(true)
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
        .timeout_config(timeouts)
        // A failed request is an error in the results, not retried.
        .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_s3::Client::from_conf(config)
}
