use crate::{code, data, get, md5_hex, put, setup};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};
use md5::Digest;

const MIB: usize = 1024 * 1024;

async fn upload_parts(
    c: &aws_sdk_s3::Client,
    key: &str,
    parts: &[Vec<u8>],
) -> (String, Vec<CompletedPart>) {
    let up = c
        .create_multipart_upload()
        .bucket("mpu")
        .key(key)
        .content_type("video/mp4")
        .metadata("m", "1")
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap().to_string();
    let mut done = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        let r = c
            .upload_part()
            .bucket("mpu")
            .key(key)
            .upload_id(&id)
            .part_number(i as i32 + 1)
            .body(ByteStream::from(p.clone()))
            .send()
            .await
            .unwrap();
        done.push(
            CompletedPart::builder()
                .part_number(i as i32 + 1)
                .e_tag(r.e_tag().unwrap())
                .build(),
        );
    }
    (id, done)
}

fn multipart_etag(parts: &[Vec<u8>]) -> String {
    let mut h = md5::Md5::new();
    for p in parts {
        h.update(md5::Md5::digest(p));
    }
    format!("\"{}-{}\"", hex::encode(h.finalize()), parts.len())
}

#[tokio::test]
async fn upload_complete_get_and_part_numbers() {
    let (_s, c) = setup("mpu").await;
    let parts = vec![data(5 * MIB, 1), data(5 * MIB + 3, 2), data(1234, 3)];
    let (id, done) = upload_parts(&c, "movie", &parts).await;
    let listed = c
        .list_parts()
        .bucket("mpu")
        .key("movie")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.parts().len(), 3);
    assert_eq!(listed.parts()[1].size(), Some(5 * MIB as i64 + 3));
    assert_eq!(
        listed.parts()[2].e_tag(),
        Some(format!("\"{}\"", md5_hex(&parts[2])).as_str())
    );

    let r = c
        .complete_multipart_upload()
        .bucket("mpu")
        .key("movie")
        .upload_id(&id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(done))
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.e_tag(), Some(multipart_etag(&parts).as_str()));
    let whole: Vec<u8> = parts.concat();
    assert_eq!(get(&c, "mpu", "movie").await, whole);
    let head = c
        .head_object()
        .bucket("mpu")
        .key("movie")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("video/mp4"));
    assert_eq!(
        head.metadata().unwrap().get("m").map(String::as_str),
        Some("1")
    );
    assert_eq!(head.content_length(), Some(whole.len() as i64));

    let p2 = c
        .get_object()
        .bucket("mpu")
        .key("movie")
        .part_number(2)
        .send()
        .await
        .unwrap();
    assert_eq!(p2.parts_count(), Some(3));
    assert_eq!(p2.content_length(), Some(5 * MIB as i64 + 3));
    assert_eq!(
        p2.body.collect().await.unwrap().into_bytes().to_vec(),
        parts[1]
    );
    let err = c
        .get_object()
        .bucket("mpu")
        .key("movie")
        .part_number(4)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidPartNumber");

    // The upload is gone once completed.
    let err = c
        .list_parts()
        .bucket("mpu")
        .key("movie")
        .upload_id(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchUpload");
}

#[tokio::test]
async fn complete_errors() {
    let (_s, c) = setup("mpu").await;
    let parts = vec![data(1000, 1), data(1000, 2)];
    let (id, done) = upload_parts(&c, "k", &parts).await;
    let complete = |parts: Vec<CompletedPart>| {
        c.complete_multipart_upload()
            .bucket("mpu")
            .key("k")
            .upload_id(&id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
    };
    let err = complete(done.clone()).await.unwrap_err();
    assert_eq!(code(&err), "EntityTooSmall");
    let err = complete(vec![done[1].clone(), done[0].clone()])
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidPartOrder");
    let wrong = CompletedPart::builder()
        .part_number(1)
        .e_tag("\"00000000000000000000000000000000\"")
        .build();
    let err = complete(vec![wrong]).await.unwrap_err();
    assert_eq!(code(&err), "InvalidPart");
    let missing = CompletedPart::builder()
        .part_number(7)
        .e_tag(done[0].e_tag().unwrap())
        .build();
    let err = complete(vec![missing]).await.unwrap_err();
    assert_eq!(code(&err), "InvalidPart");
    // A single small part is fine: the last part has no minimum.
    complete(vec![done[0].clone()]).await.unwrap();
    assert_eq!(get(&c, "mpu", "k").await, parts[0]);
}

#[tokio::test]
async fn unknown_upload_ids_and_part_numbers() {
    let (_s, c) = setup("mpu").await;
    let err = c
        .upload_part()
        .bucket("mpu")
        .key("k")
        .upload_id("nope")
        .part_number(1)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchUpload");
    let err = c
        .abort_multipart_upload()
        .bucket("mpu")
        .key("k")
        .upload_id("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchUpload");
    let err = c
        .list_parts()
        .bucket("mpu")
        .key("k")
        .upload_id("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchUpload");
    let up = c
        .create_multipart_upload()
        .bucket("mpu")
        .key("k")
        .send()
        .await
        .unwrap();
    let err = c
        .upload_part()
        .bucket("mpu")
        .key("k")
        .upload_id(up.upload_id().unwrap())
        .part_number(10001)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidArgument");
}

#[tokio::test]
async fn abort_and_list_uploads_with_pagination() {
    let (_s, c) = setup("mpu").await;
    let mut ids = Vec::new();
    for k in ["a", "b", "b", "c/1", "c/2"] {
        let up = c
            .create_multipart_upload()
            .bucket("mpu")
            .key(k)
            .send()
            .await
            .unwrap();
        ids.push((k, up.upload_id().unwrap().to_string()));
    }
    let all = c
        .list_multipart_uploads()
        .bucket("mpu")
        .send()
        .await
        .unwrap();
    assert_eq!(all.uploads().len(), 5);
    let keys: Vec<_> = all.uploads().iter().filter_map(|u| u.key()).collect();
    assert_eq!(keys, ["a", "b", "b", "c/1", "c/2"]);

    let page = c
        .list_multipart_uploads()
        .bucket("mpu")
        .max_uploads(2)
        .send()
        .await
        .unwrap();
    assert_eq!(page.uploads().len(), 2);
    assert_eq!(page.is_truncated(), Some(true));
    let next = c
        .list_multipart_uploads()
        .bucket("mpu")
        .key_marker(page.next_key_marker().unwrap())
        .upload_id_marker(page.next_upload_id_marker().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(next.uploads().len(), 3);
    assert_eq!(next.uploads()[0].key(), Some("b"));

    let grouped = c
        .list_multipart_uploads()
        .bucket("mpu")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    assert_eq!(grouped.uploads().len(), 3);
    assert_eq!(grouped.common_prefixes()[0].prefix(), Some("c/"));

    for (k, id) in &ids {
        c.abort_multipart_upload()
            .bucket("mpu")
            .key(*k)
            .upload_id(id)
            .send()
            .await
            .unwrap();
    }
    let none = c
        .list_multipart_uploads()
        .bucket("mpu")
        .send()
        .await
        .unwrap();
    assert!(none.uploads().is_empty());
}

#[tokio::test]
async fn upload_part_copy_with_ranges() {
    let (_s, c) = setup("mpu").await;
    let src = data(6 * MIB, 5);
    put(&c, "mpu", "src", src.clone()).await;
    let up = c
        .create_multipart_upload()
        .bucket("mpu")
        .key("dst")
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap();
    let p1 = c
        .upload_part_copy()
        .bucket("mpu")
        .key("dst")
        .upload_id(id)
        .part_number(1)
        .copy_source("mpu/src")
        .copy_source_range("bytes=0-5242879")
        .send()
        .await
        .unwrap();
    let p2 = c
        .upload_part_copy()
        .bucket("mpu")
        .key("dst")
        .upload_id(id)
        .part_number(2)
        .copy_source("mpu/src")
        .copy_source_range("bytes=5242880-6291455")
        .send()
        .await
        .unwrap();
    let e1 = p1.copy_part_result().unwrap().e_tag().unwrap().to_string();
    let e2 = p2.copy_part_result().unwrap().e_tag().unwrap().to_string();
    assert_eq!(e1, format!("\"{}\"", md5_hex(&src[..5 * MIB])));
    c.complete_multipart_upload()
        .bucket("mpu")
        .key("dst")
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(CompletedPart::builder().part_number(1).e_tag(e1).build())
                .parts(CompletedPart::builder().part_number(2).e_tag(e2).build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(get(&c, "mpu", "dst").await, src);
    let err = c
        .upload_part_copy()
        .bucket("mpu")
        .key("dst2")
        .upload_id(id)
        .part_number(1)
        .copy_source("mpu/src")
        .copy_source_range("bytes=0-99999999")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            code(&err).as_str(),
            "InvalidRange" | "InvalidArgument" | "NoSuchUpload"
        ),
        "{}",
        code(&err)
    );
}

#[tokio::test]
async fn composite_checksums() {
    let (_s, c) = setup("mpu").await;
    let up = c
        .create_multipart_upload()
        .bucket("mpu")
        .key("ck")
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap();
    let parts = [data(5 * MIB, 8), data(100, 9)];
    let mut done = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        let r = c
            .upload_part()
            .bucket("mpu")
            .key("ck")
            .upload_id(id)
            .part_number(i as i32 + 1)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .body(ByteStream::from(p.clone()))
            .send()
            .await
            .unwrap();
        assert!(r.checksum_crc32().is_some());
        done.push(
            CompletedPart::builder()
                .part_number(i as i32 + 1)
                .e_tag(r.e_tag().unwrap())
                .checksum_crc32(r.checksum_crc32().unwrap())
                .build(),
        );
    }
    let r = c
        .complete_multipart_upload()
        .bucket("mpu")
        .key("ck")
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(done))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let value = r.checksum_crc32().expect("composite checksum");
    assert!(value.ends_with("-2"), "{value}");
    assert_eq!(get(&c, "mpu", "ck").await, parts.concat());
}

async fn complete_with(
    c: &aws_sdk_s3::Client,
    key: &str,
    id: &str,
    done: Vec<CompletedPart>,
    crc32: Option<&str>,
) -> Result<aws_sdk_s3::operation::complete_multipart_upload::CompleteMultipartUploadOutput, String>
{
    c.complete_multipart_upload()
        .bucket("mpu")
        .key(key)
        .upload_id(id)
        .set_checksum_crc32(crc32.map(str::to_string))
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(done))
                .build(),
        )
        .send()
        .await
        .map_err(|e| code(&e))
}

#[tokio::test]
async fn full_object_checksum_on_complete_and_retry_after_success() {
    let (_s, c) = setup("mpu").await;
    let parts = [data(5 * MIB, 21), data(4000, 22)];
    let whole = parts.concat();
    let crc = {
        let mut h = tessera_s3_protocol::checksum::ChecksumHasher::new(
            tessera_types::ChecksumAlgorithm::Crc32,
        );
        h.update(&whole);
        h.finalize_base64()
    };
    let up = c
        .create_multipart_upload()
        .bucket("mpu")
        .key("full")
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .checksum_type(aws_sdk_s3::types::ChecksumType::FullObject)
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap().to_string();
    let mut done = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        let r = c
            .upload_part()
            .bucket("mpu")
            .key("full")
            .upload_id(&id)
            .part_number(i as i32 + 1)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .body(ByteStream::from(p.clone()))
            .send()
            .await
            .unwrap();
        done.push(
            CompletedPart::builder()
                .part_number(i as i32 + 1)
                .e_tag(r.e_tag().unwrap())
                .checksum_crc32(r.checksum_crc32().unwrap())
                .build(),
        );
    }
    // A wrong whole-object checksum is refused and the upload stays.
    let err = complete_with(&c, "full", &id, done.clone(), Some("AAAAAA=="))
        .await
        .unwrap_err();
    assert_eq!(err, "BadDigest");
    // The right one is accepted, and returned.
    let r = complete_with(&c, "full", &id, done.clone(), Some(&crc))
        .await
        .unwrap();
    assert_eq!(r.checksum_crc32(), Some(crc.as_str()));
    let etag = r.e_tag().unwrap().to_string();
    // A retry after success gets the same answer, not NoSuchUpload.
    let again = complete_with(&c, "full", &id, done, Some(&crc))
        .await
        .unwrap();
    assert_eq!(again.e_tag(), Some(etag.as_str()));
    assert_eq!(get(&c, "mpu", "full").await, whole);
    // An upload id that never completed this key is still unknown.
    let err = complete_with(
        &c,
        "full",
        "never-existed",
        vec![CompletedPart::builder()
            .part_number(1)
            .e_tag("\"x\"")
            .build()],
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(err, "NoSuchUpload");
}

#[tokio::test]
async fn if_match_star_needs_an_existing_object() {
    let (_s, c) = setup("mpu").await;
    let err = c
        .put_object()
        .bucket("mpu")
        .key("k")
        .if_match("*")
        .body(ByteStream::from_static(b"1"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchKey");
    put(&c, "mpu", "k", "1").await;
    c.put_object()
        .bucket("mpu")
        .key("k")
        .if_match("*")
        .body(ByteStream::from_static(b"2"))
        .send()
        .await
        .unwrap();
    assert_eq!(get(&c, "mpu", "k").await, b"2");
}
