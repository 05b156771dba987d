#![allow(clippy::unwrap_used)]

//! SigV4 against AWS's published vectors, and client -> server round trips.

use http::request::Parts;
use http::{HeaderMap, Method, Request, Uri};
use time::OffsetDateTime;

use super::canonical::{
    canonical_headers, canonical_query, canonical_request, canonical_uri, CanonicalInput,
};
use super::client::{authorization_signature, presign_url, sign_request, SigningParams};
use super::signing::{scope, sign, signing_key, string_to_sign, EMPTY_SHA256_HEX};
use super::*;
use crate::error::S3ErrorCode;

/// The S3 documentation examples' secret.
const S3_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const S3_AKID: &str = "AKIAIOSFODNN7EXAMPLE";
/// The SigV4 test suite's secret (note the `+`).
const SUITE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn t(s: &str) -> OffsetDateTime {
    signing::parse_amz_date(s).unwrap()
}

fn parts(method: &str, uri: &str, headers: &[(&str, &str)]) -> Parts {
    let mut b = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(()).unwrap().into_parts().0
}

fn v4(p: &Parts) -> V4Auth {
    match parse_auth(p).unwrap() {
        RequestAuth::V4(a) => a,
        other => panic!("not SigV4: {other:?}"),
    }
}

fn verify(p: &Parts, secret: &str, now: &str) -> Result<Verified, S3Error> {
    verify_v4(p, &v4(p), secret, t(now))
}

use crate::error::S3Error;

/// Signs a suite request (service "service", us-east-1, 20150830T123600Z).
fn suite_signature(method: &str, path: &str, query: Option<&str>) -> String {
    let mut h = HeaderMap::new();
    h.insert("host", "example.amazonaws.com".parse().unwrap());
    h.insert("x-amz-date", "20150830T123600Z".parse().unwrap());
    let signed = vec!["host".to_string(), "x-amz-date".to_string()];
    let creq = canonical_request(&CanonicalInput {
        method,
        uri: &canonical_uri(path),
        query: &canonical_query(query, None),
        headers: &canonical_headers(&h, &signed, None),
        signed_headers: &signed,
        payload_hash: EMPTY_SHA256_HEX,
    });
    let key = signing_key(SUITE_SECRET, "20150830", "us-east-1", "service");
    sign(
        &key,
        &string_to_sign(
            "20150830T123600Z",
            &scope("20150830", "us-east-1", "service"),
            &creq,
        ),
    )
}

#[test]
fn aws_test_suite_get_vanilla_family() {
    assert_eq!(
        suite_signature("GET", "/", None),
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    );
    assert_eq!(
        suite_signature("GET", "/", Some("Param2=value2&Param1=value1")),
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
    );
    assert_eq!(
        suite_signature("GET", "/%E1%88%B4", None),
        "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"
    );
}

const EMPTY: &str = EMPTY_SHA256_HEX;

#[test]
fn s3_example_get_object_with_range() {
    let p = parts(
        "GET",
        "/test.txt",
        &[
            ("host", "examplebucket.s3.amazonaws.com"),
            ("range", "bytes=0-9"),
            ("x-amz-content-sha256", EMPTY),
            ("x-amz-date", "20130524T000000Z"),
            ("authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
        ],
    );
    let v = verify(&p, S3_SECRET, "20130524T000500Z").unwrap();
    assert_eq!(v.access_key_id, S3_AKID);
    assert_eq!(v.region, "us-east-1");
    let mut empty = [0u8; 32];
    hex::decode_to_slice(EMPTY, &mut empty).unwrap();
    assert_eq!(v.payload, PayloadMode::Sha256(empty));
}

#[test]
fn s3_example_put_object_uses_date_header_and_encodes_dollar() {
    let p = parts(
        "PUT",
        "/test$file.text",
        &[
            ("date", "Fri, 24 May 2013 00:00:00 GMT"),
            ("host", "examplebucket.s3.amazonaws.com"),
            ("x-amz-content-sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"),
        ],
    );
    assert!(matches!(
        verify(&p, S3_SECRET, "20130524T000000Z").unwrap().payload,
        PayloadMode::Sha256(_)
    ));
    // The same request with the path as a client that pre-encoded it.
    let mut p2 = p.clone();
    p2.uri = Uri::from_static("/test%24file.text");
    assert!(verify(&p2, S3_SECRET, "20130524T000000Z").is_ok());
}

#[test]
fn s3_example_get_lifecycle_and_list_objects() {
    let common = |q: &str, sig: &str| {
        let auth = format!("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={sig}");
        let p = parts(
            "GET",
            &format!("/?{q}"),
            &[
                ("host", "examplebucket.s3.amazonaws.com"),
                ("x-amz-content-sha256", EMPTY),
                ("x-amz-date", "20130524T000000Z"),
                ("authorization", &auth),
            ],
        );
        verify(&p, S3_SECRET, "20130524T000000Z")
    };
    assert!(common(
        "lifecycle",
        "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"
    )
    .is_ok());
    assert!(common(
        "max-keys=2&prefix=J",
        "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
    )
    .is_ok());
    assert!(common(
        "prefix=J&max-keys=2",
        "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
    )
    .is_ok());
    let e = common(
        "max-keys=3&prefix=J",
        "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
    )
    .unwrap_err();
    assert_eq!(e.code, S3ErrorCode::SignatureDoesNotMatch);
}

const PRESIGNED_EXAMPLE: &str = "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";

#[test]
fn s3_example_presigned_url() {
    let p = parts(
        "GET",
        PRESIGNED_EXAMPLE,
        &[("host", "examplebucket.s3.amazonaws.com")],
    );
    let a = v4(&p);
    assert!(a.is_presigned());
    assert_eq!(a.expires(), Some(86_400));
    let v = verify_v4(&p, &a, S3_SECRET, t("20130524T120000Z")).unwrap();
    assert_eq!(v.payload, PayloadMode::Unsigned);
    // Expired one second after X-Amz-Date + X-Amz-Expires.
    assert!(verify_v4(&p, &a, S3_SECRET, t("20130525T000000Z")).is_ok());
    let e = verify_v4(&p, &a, S3_SECRET, t("20130525T000001Z")).unwrap_err();
    assert_eq!(e.code, S3ErrorCode::AccessDenied);
    assert_eq!(e.message, "Request has expired");
    // Not valid yet (more than 15 minutes before X-Amz-Date).
    let e = verify_v4(&p, &a, S3_SECRET, t("20130523T234000Z")).unwrap_err();
    assert_eq!(e.code, S3ErrorCode::AccessDenied);
    // Another host.
    let p2 = parts(
        "GET",
        PRESIGNED_EXAMPLE,
        &[("host", "otherbucket.s3.amazonaws.com")],
    );
    let e = verify(&p2, S3_SECRET, "20130524T000000Z").unwrap_err();
    assert_eq!(e.code, S3ErrorCode::SignatureDoesNotMatch);
}

fn chunk_object_parts(content_sha: &str, trailer: bool, sig: &str) -> Parts {
    let mut headers = vec![
        ("content-encoding", "aws-chunked"),
        ("host", "s3.amazonaws.com"),
        ("x-amz-content-sha256", content_sha),
        ("x-amz-date", "20130524T000000Z"),
        ("x-amz-decoded-content-length", "66560"),
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
    ];
    let signed = if trailer {
        headers.push(("x-amz-trailer", "x-amz-checksum-crc32c"));
        "content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer"
    } else {
        headers.push(("content-length", "66824"));
        "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class"
    };
    let auth = format!("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders={signed},Signature={sig}");
    headers.push(("authorization", &auth));
    parts("PUT", "/examplebucket/chunkObject.txt", &headers)
}

/// The streaming example of the S3 docs: seed signature, then a 64 KiB, a
/// 1 KiB and the final chunk; optionally with a signed CRC32C trailer.
pub(crate) fn s3_streaming_example(trailer: bool) -> (PayloadMode, Vec<u8>) {
    let (content_sha, seed, sigs) = if trailer {
        (
            STREAMING_PAYLOAD_TRAILER,
            "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e",
            [
                "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
                "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
                "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
            ],
        )
    } else {
        (
            STREAMING_PAYLOAD,
            "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
            [
                "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
                "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
                "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
            ],
        )
    };
    let p = chunk_object_parts(content_sha, trailer, seed);
    let v = verify(&p, S3_SECRET, "20130524T000000Z").unwrap();
    let mut body = Vec::new();
    body.extend_from_slice(format!("10000;chunk-signature={}\r\n", sigs[0]).as_bytes());
    body.extend_from_slice(&[b'a'; 65_536]);
    body.extend_from_slice(format!("\r\n400;chunk-signature={}\r\n", sigs[1]).as_bytes());
    body.extend_from_slice(&[b'a'; 1024]);
    body.extend_from_slice(format!("\r\n0;chunk-signature={}\r\n", sigs[2]).as_bytes());
    if trailer {
        body.extend_from_slice(b"x-amz-checksum-crc32c:sOO8/Q==\r\n");
        body.extend_from_slice(b"x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n");
    }
    body.extend_from_slice(b"\r\n");
    (v.payload, body)
}

#[test]
fn s3_example_streaming_seed_signatures() {
    let (mode, _) = s3_streaming_example(false);
    assert!(matches!(mode, PayloadMode::StreamingSigned(_)));
    let (mode, _) = s3_streaming_example(true);
    assert!(matches!(mode, PayloadMode::StreamingSignedTrailer(_)));
}

#[test]
fn s3_example_chunk_signatures() {
    let key = signing_key(S3_SECRET, "20130524", "us-east-1", "s3");
    let mut s = ChunkSigner::new(
        key,
        "20130524T000000Z".into(),
        scope("20130524", "us-east-1", "s3"),
        "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9".into(),
    );
    assert_eq!(
        s.sign_chunk(&[b'a'; 65_536]),
        "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
    );
    assert_eq!(
        s.sign_chunk(&[b'a'; 1024]),
        "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"
    );
    assert_eq!(
        s.sign_chunk(&[]),
        "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"
    );
}

// ---- parsing errors ----

#[test]
fn anonymous_and_malformed() {
    assert_eq!(
        parse_auth(&parts("GET", "/b/k?x=1", &[])).unwrap(),
        RequestAuth::Anonymous
    );
    let code = |h: &str| {
        parse_auth(&parts(
            "GET",
            "/",
            &[("authorization", h), ("x-amz-date", "20130524T000000Z")],
        ))
        .unwrap_err()
    };
    // SigV2 headers are parsed as such (verified by auth::v2).
    let v2 = parse_auth(&parts(
        "GET",
        "/",
        &[(
            "authorization",
            "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=",
        )],
    ))
    .unwrap();
    assert!(matches!(v2, RequestAuth::V2(ref a) if a.access_key_id == "AKIAIOSFODNN7EXAMPLE"));
    assert_eq!(
        code("AWS4-HMAC-SHA256 Credential=x").code,
        S3ErrorCode::AuthorizationHeaderMalformed
    );
    assert_eq!(
        code("Bearer abc").code,
        S3ErrorCode::AuthorizationHeaderMalformed
    );
    let good_sig = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";
    let e = code(&format!("AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws5_request,SignedHeaders=host,Signature={good_sig}"));
    assert_eq!(e.code, S3ErrorCode::AuthorizationHeaderMalformed);
    let e = code("AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=xyz");
    assert_eq!(e.code, S3ErrorCode::AuthorizationHeaderMalformed);
    // Credential date differs from x-amz-date.
    let e = code(&format!("AWS4-HMAC-SHA256 Credential=AK/20130523/us-east-1/s3/aws4_request,SignedHeaders=host,Signature={good_sig}"));
    assert_eq!(e.code, S3ErrorCode::AuthorizationHeaderMalformed);
    // No date at all.
    let e = parse_auth(&parts("GET", "/", &[("authorization", &format!("AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,SignedHeaders=host,Signature={good_sig}"))])).unwrap_err();
    assert_eq!(e.code, S3ErrorCode::AccessDenied);
    // SigV2 presigned.
    let v2 = parse_auth(&parts(
        "GET",
        "/b/k?AWSAccessKeyId=AK&Expires=1&Signature=abc",
        &[],
    ))
    .unwrap();
    assert!(matches!(v2, RequestAuth::V2(ref a) if a.is_presigned()));
    let e = parse_auth(&parts(
        "GET",
        "/b/k?AWSAccessKeyId=AK&Expires=soon&Signature=abc",
        &[],
    ))
    .unwrap_err();
    assert_eq!(e.code, S3ErrorCode::AccessDenied);
}

#[test]
fn presigned_query_errors() {
    let q = |s: &str| {
        parse_auth(&parts("GET", &format!("/k?{s}"), &[]))
            .unwrap_err()
            .code
    };
    let base = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
    assert_eq!(q(base), S3ErrorCode::AuthorizationQueryParametersError);
    assert_eq!(
        q(&format!("{base}&X-Amz-Expires=0")),
        S3ErrorCode::AuthorizationQueryParametersError
    );
    assert_eq!(
        q(&format!("{base}&X-Amz-Expires=604801")),
        S3ErrorCode::AuthorizationQueryParametersError
    );
    assert_eq!(
        q(&format!("{base}&X-Amz-Expires=-5")),
        S3ErrorCode::AuthorizationQueryParametersError
    );
    assert!(parse_auth(&parts(
        "GET",
        &format!("/k?{base}&X-Amz-Expires=604800"),
        &[]
    ))
    .is_ok());
    let other_alg = base.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1");
    assert_eq!(
        q(&format!("{other_alg}&X-Amz-Expires=10")),
        S3ErrorCode::AuthorizationQueryParametersError
    );
    let other_day = base.replace("%2F20130524%2F", "%2F20130525%2F");
    assert_eq!(
        q(&format!("{other_day}&X-Amz-Expires=10")),
        S3ErrorCode::AuthorizationQueryParametersError
    );
    // Header and query together.
    let e = parse_auth(&parts(
        "GET",
        &format!("/k?{base}&X-Amz-Expires=10"),
        &[("authorization", "AWS4-HMAC-SHA256 x")],
    ))
    .unwrap_err();
    assert_eq!(e.code, S3ErrorCode::InvalidArgument);
}

// ---- round trips: client signing -> server verification ----

fn params(now: OffsetDateTime) -> SigningParams<'static> {
    SigningParams {
        access_key: "TESSERAKEY",
        secret_key: "tessera/secret+key",
        region: "eu-west-3",
        service: "s3",
        now,
    }
}

fn signed_parts(
    method: Method,
    uri: &str,
    payload: &str,
    extra: &[(&str, &str)],
    now: OffsetDateTime,
) -> Parts {
    let uri: Uri = uri.parse().unwrap();
    let mut h = HeaderMap::new();
    h.insert("host", "127.0.0.1:9000".parse().unwrap());
    for (k, v) in extra {
        h.append(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    sign_request(&method, &uri, &mut h, payload, &params(now)).unwrap();
    let mut p = parts(method.as_str(), &uri.to_string(), &[]);
    p.headers = h;
    p
}

const NOW: &str = "20240229T235959Z";

#[test]
fn round_trip_every_payload_mode() {
    let now = t(NOW);
    let hash = signing::sha256_hex(b"payload");
    for (payload, expect) in [
        (UNSIGNED_PAYLOAD, "unsigned"),
        (hash.as_str(), "sha256"),
        (STREAMING_PAYLOAD, "streaming"),
        (STREAMING_PAYLOAD_TRAILER, "streaming-trailer"),
        (STREAMING_UNSIGNED_PAYLOAD_TRAILER, "unsigned-trailer"),
    ] {
        let p = signed_parts(
            Method::PUT,
            "/bucket/a%20key/with+plus/%E2%82%AC?uploadId=x%2Fy&partNumber=3",
            payload,
            &[
                ("x-amz-meta-note", "  two   spaces  "),
                ("content-type", "text/plain"),
            ],
            now,
        );
        let v = verify(&p, "tessera/secret+key", NOW).unwrap_or_else(|e| panic!("{expect}: {e}"));
        assert_eq!(v.access_key_id, "TESSERAKEY");
        assert_eq!(v.region, "eu-west-3");
        let got = match v.payload {
            PayloadMode::Unsigned => "unsigned",
            PayloadMode::Sha256(h) => {
                assert_eq!(hex::encode(h), hash);
                "sha256"
            }
            PayloadMode::StreamingSigned(_) => "streaming",
            PayloadMode::StreamingSignedTrailer(_) => "streaming-trailer",
            PayloadMode::StreamingUnsignedTrailer => "unsigned-trailer",
        };
        assert_eq!(got, expect);
    }
}

#[test]
fn tampering_is_detected() {
    let now = t(NOW);
    let p = signed_parts(
        Method::GET,
        "/b/k?list-type=2&prefix=a",
        UNSIGNED_PAYLOAD,
        &[("x-amz-meta-a", "1")],
        now,
    );
    assert!(verify(&p, "tessera/secret+key", NOW).is_ok());
    let mismatch = |p: &Parts| verify(p, "tessera/secret+key", NOW).unwrap_err().code;

    let mut q = p.clone();
    q.headers.insert("x-amz-meta-a", "2".parse().unwrap());
    assert_eq!(mismatch(&q), S3ErrorCode::SignatureDoesNotMatch);
    let mut q = p.clone();
    q.uri = Uri::from_static("/b/k?list-type=2&prefix=b");
    assert_eq!(mismatch(&q), S3ErrorCode::SignatureDoesNotMatch);
    let mut q = p.clone();
    q.uri = Uri::from_static("/b/k2?list-type=2&prefix=a");
    assert_eq!(mismatch(&q), S3ErrorCode::SignatureDoesNotMatch);
    let mut q = p.clone();
    q.method = Method::DELETE;
    assert_eq!(mismatch(&q), S3ErrorCode::SignatureDoesNotMatch);
    let e = verify(&p, "wrong-secret", NOW).unwrap_err();
    assert_eq!(e.code, S3ErrorCode::SignatureDoesNotMatch);
    assert!(e.extra.iter().any(|(n, _)| *n == "CanonicalRequest"));
    // Unsigned headers may change freely.
    let mut q = p.clone();
    q.headers.insert("user-agent", "other".parse().unwrap());
    assert!(verify(&q, "tessera/secret+key", NOW).is_ok());
}

#[test]
fn clock_skew_and_content_sha256_rules() {
    let now = t(NOW);
    let p = signed_parts(Method::GET, "/b", UNSIGNED_PAYLOAD, &[], now);
    assert!(verify(&p, "tessera/secret+key", "20240301T001459Z").is_ok());
    let e = verify(&p, "tessera/secret+key", "20240301T001500Z").unwrap_err();
    assert_eq!(e.code, S3ErrorCode::RequestTimeTooSkewed);
    let e = verify(&p, "tessera/secret+key", "20240229T234458Z").unwrap_err();
    assert_eq!(e.code, S3ErrorCode::RequestTimeTooSkewed);

    let mut q = p.clone();
    q.headers.remove("x-amz-content-sha256");
    let e = verify(&q, "tessera/secret+key", NOW).unwrap_err();
    assert_eq!(e.code, S3ErrorCode::InvalidRequest);
    assert_eq!(
        e.message,
        "Missing required header for this request: x-amz-content-sha256"
    );
    let mut q = p.clone();
    q.headers
        .insert("x-amz-content-sha256", "SOMETHING-ELSE".parse().unwrap());
    assert_eq!(
        verify(&q, "tessera/secret+key", NOW).unwrap_err().code,
        S3ErrorCode::InvalidArgument
    );
}

#[test]
fn host_must_be_signed_and_http2_authority_is_used() {
    let now = t(NOW);
    let p = signed_parts(Method::GET, "/b/k", UNSIGNED_PAYLOAD, &[], now);
    // HTTP/2: no Host header, the authority is in the URI.
    let mut q = p.clone();
    q.headers.remove("host");
    q.uri = Uri::from_static("http://127.0.0.1:9000/b/k");
    assert!(verify(&q, "tessera/secret+key", NOW).is_ok());

    let auth = "AWS4-HMAC-SHA256 Credential=AK/20240229/us-east-1/s3/aws4_request,SignedHeaders=x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";
    let p = parts(
        "GET",
        "/",
        &[
            ("authorization", auth),
            ("x-amz-date", NOW),
            ("x-amz-content-sha256", UNSIGNED_PAYLOAD),
        ],
    );
    assert_eq!(
        verify(&p, "s", NOW).unwrap_err().code,
        S3ErrorCode::AuthorizationHeaderMalformed
    );
}

#[test]
fn presign_round_trip_and_expiry() {
    let now = t(NOW);
    let url = presign_url(
        &Method::GET,
        "http://127.0.0.1:9000/bucket/my%20key.txt?versionId=v1",
        300,
        &params(now),
    )
    .unwrap();
    assert!(url.starts_with(
        "http://127.0.0.1:9000/bucket/my%20key.txt?versionId=v1&X-Amz-Algorithm=AWS4-HMAC-SHA256&"
    ));
    let uri: Uri = url.parse().unwrap();
    let path_and_query = uri.path_and_query().unwrap().as_str();
    let p = parts("GET", path_and_query, &[("host", "127.0.0.1:9000")]);
    let v = verify(&p, "tessera/secret+key", "20240301T000459Z").unwrap();
    assert_eq!(v.payload, PayloadMode::Unsigned);
    let e = verify(&p, "tessera/secret+key", "20240301T000500Z").unwrap_err();
    assert_eq!(e.code, S3ErrorCode::AccessDenied);
    assert_eq!(e.message, "Request has expired");
    // Tampered query.
    let p = parts(
        "GET",
        &path_and_query.replace("versionId=v1", "versionId=v2"),
        &[("host", "127.0.0.1:9000")],
    );
    assert_eq!(
        verify(&p, "tessera/secret+key", NOW).unwrap_err().code,
        S3ErrorCode::SignatureDoesNotMatch
    );
    // Tampered expiry.
    let p = parts(
        "GET",
        &path_and_query.replace("X-Amz-Expires=300", "X-Amz-Expires=3000"),
        &[("host", "127.0.0.1:9000")],
    );
    assert_eq!(
        verify(&p, "tessera/secret+key", NOW).unwrap_err().code,
        S3ErrorCode::SignatureDoesNotMatch
    );
    // Default port is not part of the signed host.
    let url = presign_url(
        &Method::PUT,
        "https://s3.example.com:443/b/k",
        60,
        &params(now),
    )
    .unwrap();
    let uri: Uri = url.parse().unwrap();
    let p = parts(
        "PUT",
        uri.path_and_query().unwrap().as_str(),
        &[("host", "s3.example.com")],
    );
    assert!(verify(&p, "tessera/secret+key", NOW).is_ok());
    assert!(presign_url(&Method::GET, "http://h/b", 0, &params(now)).is_err());
    assert!(presign_url(&Method::GET, "http://h/b", 604_801, &params(now)).is_err());
    assert!(presign_url(&Method::GET, "/relative", 10, &params(now)).is_err());
}

#[test]
fn seed_signature_is_extracted() {
    let now = t(NOW);
    let p = signed_parts(Method::PUT, "/b/k", STREAMING_PAYLOAD, &[], now);
    let sig = authorization_signature(&p.headers).unwrap();
    assert_eq!(sig.len(), 64);
    assert_eq!(v4(&p).signature, sig);
}

/// A client-signed streaming request: the payload mode and the encoded body.
pub(crate) fn signed_stream(
    body: &[u8],
    chunk: usize,
    trailers: &[(&str, &str)],
) -> (PayloadMode, Vec<u8>) {
    let now = t(NOW);
    let mode = if trailers.is_empty() {
        STREAMING_PAYLOAD
    } else {
        STREAMING_PAYLOAD_TRAILER
    };
    let p = signed_parts(Method::PUT, "/b/k", mode, &[], now);
    let seed = authorization_signature(&p.headers).unwrap();
    let encoded = client::encode_signed_chunks(body, chunk, &seed, &params(now), trailers);
    (
        verify(&p, "tessera/secret+key", NOW).unwrap().payload,
        encoded,
    )
}

#[test]
fn date_header_in_every_form_botocore_and_http_send() {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={S3_AKID}/20261123/us-east-1/s3/aws4_request, \
         SignedHeaders=date;host, Signature={}",
        "0".repeat(64)
    );
    for date in [
        "Mon, 23 Nov 2026 20:00:00 GMT",
        "Monday, 23-Nov-26 20:00:00 GMT",
        "Mon Nov 23 20:00:00 2026",
        // RFC 2822 with a numeric zone: Python's email.utils.formatdate,
        // which botocore uses when the caller sets Date.
        "Mon, 23 Nov 2026 20:00:00 -0000",
        "Mon, 23 Nov 2026 20:00:00 +0000",
        "Mon, 23 Nov 2026 21:00:00 +0100",
    ] {
        let p = parts(
            "GET",
            "/b/k",
            &[("host", "h"), ("date", date), ("authorization", &auth)],
        );
        let a = v4(&p);
        assert_eq!(a.amz_date, "20261123T200000Z", "{date}");
        assert_eq!(a.time, t("20261123T200000Z"), "{date}");
    }
    let p = parts(
        "GET",
        "/b/k",
        &[
            ("host", "h"),
            ("date", "yesterday"),
            ("authorization", &auth),
        ],
    );
    assert_eq!(parse_auth(&p).unwrap_err().code, S3ErrorCode::AccessDenied);
}
