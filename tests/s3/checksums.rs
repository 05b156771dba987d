use crate::{code, data, put, setup};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode};
use base64::Engine as _;

#[tokio::test]
async fn every_algorithm_round_trips() {
    let (_s, c) = setup("cks").await;
    let body = data(300_000, 11);
    for alg in [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32C,
        ChecksumAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
    ] {
        let key = format!("k-{}", alg.as_str());
        let r = c
            .put_object()
            .bucket("cks")
            .key(&key)
            .checksum_algorithm(alg.clone())
            .body(ByteStream::from(body.clone()))
            .send()
            .await
            .unwrap();
        let sent = [
            r.checksum_crc32(),
            r.checksum_crc32_c(),
            r.checksum_crc64_nvme(),
            r.checksum_sha1(),
            r.checksum_sha256(),
        ];
        assert_eq!(
            sent.iter().flatten().count(),
            1,
            "{alg:?}: one checksum returned"
        );
        let g = c
            .get_object()
            .bucket("cks")
            .key(&key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .unwrap();
        let got = [
            g.checksum_crc32(),
            g.checksum_crc32_c(),
            g.checksum_crc64_nvme(),
            g.checksum_sha1(),
            g.checksum_sha256(),
        ];
        assert_eq!(
            got.iter().flatten().next(),
            sent.iter().flatten().next(),
            "{alg:?}"
        );
        // The SDK validates the body against the returned checksum.
        assert_eq!(g.body.collect().await.unwrap().into_bytes().to_vec(), body);
    }
}

#[tokio::test]
async fn default_checksum_is_stored() {
    let (_s, c) = setup("cks").await;
    put(&c, "cks", "k", "hello world").await;
    let g = c
        .head_object()
        .bucket("cks")
        .key("k")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    let any = [
        g.checksum_crc32(),
        g.checksum_crc32_c(),
        g.checksum_crc64_nvme(),
    ];
    assert!(
        any.iter().flatten().count() >= 1,
        "a checksum is kept for every object"
    );
}

#[tokio::test]
async fn wrong_checksums_and_digests_are_refused() {
    let (s, c) = setup("cks").await;
    let raw = s.raw();
    // CRC32 of "hello world" is 0x0d4a1185 = DUoRhQ==; send another value.
    let r = raw
        .signed(
            "PUT",
            "/cks/bad",
            &[("x-amz-checksum-crc32", "AAAAAA==")],
            "hello world",
            None,
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_code().as_deref(), Some("BadDigest"));
    let r = raw
        .signed(
            "PUT",
            "/cks/good",
            &[("x-amz-checksum-crc32", "DUoRhQ==")],
            "hello world",
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-amz-checksum-crc32"), Some("DUoRhQ=="));

    let wrong_md5 = base64::engine::general_purpose::STANDARD.encode([0u8; 16]);
    let r = raw
        .signed(
            "PUT",
            "/cks/md5",
            &[("content-md5", &wrong_md5)],
            "hello world",
            None,
        )
        .await;
    assert_eq!(r.error_code().as_deref(), Some("BadDigest"));
    let r = raw
        .signed(
            "PUT",
            "/cks/md5",
            &[("content-md5", "not-base64!")],
            "hello world",
            None,
        )
        .await;
    assert_eq!(r.error_code().as_deref(), Some("InvalidDigest"));
    let right_md5 = base64::engine::general_purpose::STANDARD
        .encode(md5::Md5::new_with_prefix(b"hello world").finalize_fixed());
    let r = raw
        .signed(
            "PUT",
            "/cks/md5",
            &[("content-md5", &right_md5)],
            "hello world",
            None,
        )
        .await;
    assert_eq!(r.status, 200);

    // Nothing of the refused uploads was stored.
    let err = c
        .get_object()
        .bucket("cks")
        .key("bad")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchKey");
    let r = raw
        .signed(
            "PUT",
            "/cks/two",
            &[
                ("x-amz-checksum-crc32", "DUoRhQ=="),
                ("x-amz-checksum-sha1", "Kq5sNclPz7QV2+lfQIuc6R7oRu0="),
            ],
            "hello world",
            None,
        )
        .await;
    assert_eq!(r.error_code().as_deref(), Some("InvalidRequest"));
}

use md5::digest::FixedOutput;
use md5::Digest;
