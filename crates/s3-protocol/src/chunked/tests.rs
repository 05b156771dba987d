#![allow(clippy::unwrap_used)]

use super::*;
use crate::auth::client::encode_unsigned_chunks;
use crate::auth::tests::{s3_streaming_example, signed_stream};
use crate::checksum::ChecksumHasher;
use tessera_types::ChecksumAlgorithm;

/// Decoded payload and trailers.
type Decoded = (Vec<u8>, Vec<(String, String)>);

/// Feeds `body` in pieces of `step` bytes; returns (payload, trailers).
fn decode(mode: &PayloadMode, body: &[u8], step: usize) -> Result<Decoded, S3Error> {
    let mut d = ChunkedDecoder::new(mode).unwrap();
    let mut out = Vec::new();
    for piece in body.chunks(step.max(1)) {
        d.feed(Bytes::copy_from_slice(piece), &mut out)?;
    }
    let trailers = d.finish()?;
    Ok((out.concat(), trailers))
}

fn payload(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

#[test]
fn non_streaming_modes_have_no_decoder() {
    assert!(ChunkedDecoder::new(&PayloadMode::Unsigned).is_none());
    assert!(ChunkedDecoder::new(&PayloadMode::Sha256([0; 32])).is_none());
    assert!(ChunkedDecoder::new(&PayloadMode::StreamingUnsignedTrailer).is_some());
}

#[test]
fn aws_streaming_example_decodes_whole_and_byte_by_byte() {
    for trailer in [false, true] {
        let (mode, body) = s3_streaming_example(trailer);
        for step in [body.len(), 1, 7, 4096] {
            let (data, trailers) = decode(&mode, &body, step).unwrap();
            assert_eq!(data.len(), 66_560);
            assert!(data.iter().all(|b| *b == b'a'));
            if trailer {
                assert_eq!(
                    trailers,
                    vec![("x-amz-checksum-crc32c".to_string(), "sOO8/Q==".to_string())]
                );
            } else {
                assert!(trailers.is_empty());
            }
        }
    }
}

#[test]
fn aws_streaming_example_tampered() {
    for trailer in [false, true] {
        let (mode, body) = s3_streaming_example(trailer);
        // A flipped data byte in the second chunk.
        let mut bad = body.clone();
        let at = body.len() - 600;
        bad[at] = b'b';
        assert_eq!(
            decode(&mode, &bad, 1000).unwrap_err().code,
            S3ErrorCode::SignatureDoesNotMatch
        );
    }
    // A changed trailer value.
    let (mode, body) = s3_streaming_example(true);
    let text = body.clone();
    let pos = memchr::memmem::find(&text, b"sOO8/Q==").unwrap();
    let mut bad = body.clone();
    bad[pos] = b'X';
    assert_eq!(
        decode(&mode, &bad, 512).unwrap_err().code,
        S3ErrorCode::SignatureDoesNotMatch
    );
}

#[test]
fn signed_chunk_bytes_are_released_only_after_verification() {
    let (mode, body) = s3_streaming_example(false);
    let mut d = ChunkedDecoder::new(&mode).unwrap();
    let mut out = Vec::new();
    // Everything but the last byte of the first chunk's data.
    let header_len = memchr::memchr(b'\n', &body).unwrap() + 1;
    d.feed(
        Bytes::copy_from_slice(&body[..header_len + 65_535]),
        &mut out,
    )
    .unwrap();
    assert!(out.is_empty());
    d.feed(
        Bytes::copy_from_slice(&body[header_len + 65_535..header_len + 65_536]),
        &mut out,
    )
    .unwrap();
    assert_eq!(out.iter().map(Bytes::len).sum::<usize>(), 65_536);
}

#[test]
fn client_encoded_signed_round_trip_with_each_checksum() {
    let data = payload(200_003);
    for alg in ChecksumAlgorithm::ALL {
        let mut h = ChecksumHasher::new(alg);
        h.update(&data);
        let value = h.finalize_base64();
        let trailers = [(alg.header_name(), value.as_str())];
        let (mode, body) = signed_stream(&data, 65_536, &trailers);
        assert!(matches!(mode, PayloadMode::StreamingSignedTrailer(_)));
        for step in [1, 333, body.len()] {
            let (got, t) = decode(&mode, &body, step).unwrap();
            assert_eq!(got, data);
            assert_eq!(t, vec![(alg.header_name().to_string(), value.clone())]);
        }
    }
}

#[test]
fn client_encoded_signed_without_trailers_and_empty_body() {
    for n in [0, 1, 8192, 65_536, 65_537] {
        let data = payload(n);
        let (mode, body) = signed_stream(&data, 8192, &[]);
        assert!(matches!(mode, PayloadMode::StreamingSigned(_)));
        let (got, t) = decode(&mode, &body, 100).unwrap();
        assert_eq!(got, data);
        assert!(t.is_empty());
    }
}

#[test]
fn unsigned_trailer_round_trip_with_each_checksum() {
    let data = payload(70_000);
    for alg in ChecksumAlgorithm::ALL {
        let mut h = ChecksumHasher::new(alg);
        h.update(&data);
        let value = h.finalize_base64();
        let body = encode_unsigned_chunks(&data, 65_536, &[(alg.header_name(), &value)]);
        for step in [1, 4096, body.len()] {
            let (got, t) = decode(&PayloadMode::StreamingUnsignedTrailer, &body, step).unwrap();
            assert_eq!(got, data);
            assert_eq!(t, vec![(alg.header_name().to_string(), value.clone())]);
        }
    }
}

#[test]
fn unsigned_chunks_are_passed_through_zero_copy() {
    let body = Bytes::from(encode_unsigned_chunks(b"hello world", 5, &[]));
    let mut d = ChunkedDecoder::new(&PayloadMode::StreamingUnsignedTrailer).unwrap();
    let mut out = Vec::new();
    d.feed(body.clone(), &mut out).unwrap();
    assert_eq!(out.len(), 3);
    let start = body.as_ptr() as usize;
    let end = start + body.len();
    assert!(out
        .iter()
        .all(|b| (start..end).contains(&(b.as_ptr() as usize))));
    assert!(d.finish().unwrap().is_empty());
}

#[test]
fn truncated_streams_are_incomplete() {
    let (mode, body) = signed_stream(
        &payload(20_000),
        8192,
        &[("x-amz-checksum-crc32", "AAAAAA==")],
    );
    // Cut anywhere before the last trailer line's CRLF (the final empty line is optional).
    let tail = b"\r\n\r\n".len();
    for cut in (0..body.len() - tail)
        .step_by(997)
        .chain([body.len() - tail - 1])
    {
        let mut d = ChunkedDecoder::new(&mode).unwrap();
        let mut out = Vec::new();
        d.feed(Bytes::copy_from_slice(&body[..cut]), &mut out)
            .unwrap();
        assert_eq!(
            d.finish().unwrap_err().code,
            S3ErrorCode::IncompleteBody,
            "cut at {cut}"
        );
    }
    // Without the final empty line: accepted.
    assert!(decode(&mode, &body[..body.len() - 2], 64).is_ok());

    let body = encode_unsigned_chunks(b"abc", 2, &[]);
    assert_eq!(
        decode(
            &PayloadMode::StreamingUnsignedTrailer,
            &body[..body.len() - 3],
            1
        )
        .unwrap_err()
        .code,
        S3ErrorCode::IncompleteBody
    );
    assert_eq!(
        decode(&PayloadMode::StreamingUnsignedTrailer, b"", 1)
            .unwrap_err()
            .code,
        S3ErrorCode::IncompleteBody
    );
}

#[test]
fn malformed_framing_is_rejected() {
    let m = PayloadMode::StreamingUnsignedTrailer;
    let code = |b: &[u8]| decode(&m, b, 3).unwrap_err().code;
    assert_eq!(code(b"zz\r\nab\r\n0\r\n\r\n"), S3ErrorCode::InvalidRequest);
    assert_eq!(code(b"2\r\nabXY0\r\n\r\n"), S3ErrorCode::InvalidRequest);
    assert_eq!(code(b"2\nab\r\n0\r\n\r\n"), S3ErrorCode::InvalidRequest);
    assert_eq!(code(b"\r\n"), S3ErrorCode::InvalidRequest);
    assert_eq!(code(b"0\r\nno-colon\r\n\r\n"), S3ErrorCode::InvalidRequest);
    assert_eq!(
        code(b"0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\nmore"),
        S3ErrorCode::InvalidRequest
    );
    assert_eq!(
        code(b"0\r\nx-amz-trailer-signature:abc\r\n\r\n"),
        S3ErrorCode::InvalidRequest
    );
    // Chunk larger than 16 MiB.
    assert_eq!(code(b"1000001\r\n"), S3ErrorCode::InvalidRequest);
    assert_eq!(code(b"ffffffffffffffffff\r\n"), S3ErrorCode::InvalidRequest);
    // Header line too long.
    let mut long = b"1;".to_vec();
    long.extend(std::iter::repeat_n(b'x', MAX_HEADER_LINE));
    assert_eq!(code(&long), S3ErrorCode::InvalidRequest);
    // Trailer section too large.
    let mut big = b"0\r\n".to_vec();
    for i in 0..2000 {
        big.extend_from_slice(format!("x-amz-meta-{i}:value\r\n").as_bytes());
    }
    assert_eq!(code(&big), S3ErrorCode::InvalidRequest);
    // Leading blank line before trailers is tolerated.
    let (_, t) = decode(&m, b"0\r\n\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n", 1).unwrap();
    assert_eq!(t.len(), 1);
}

#[test]
fn signed_mode_rules() {
    let (mode, body) = signed_stream(b"hello", 8192, &[]);
    // Missing chunk-signature.
    let stripped = String::from_utf8(body.clone()).unwrap();
    let no_sig = stripped.replacen(";chunk-signature=", ";x=", 1);
    assert_eq!(
        decode(&mode, no_sig.as_bytes(), 10).unwrap_err().code,
        S3ErrorCode::InvalidRequest
    );
    // Trailers are not allowed without -TRAILER.
    let with_trailer = [
        &body[..body.len() - 2],
        b"x-amz-checksum-crc32:AAAAAA==\r\n\r\n",
    ]
    .concat();
    assert_eq!(
        decode(&mode, &with_trailer, 10).unwrap_err().code,
        S3ErrorCode::InvalidRequest
    );
    // Wrong signature on the final chunk.
    let pos = stripped.rfind("chunk-signature=").unwrap() + "chunk-signature=".len();
    let mut bad = body.clone();
    bad[pos] = if bad[pos] == b'0' { b'1' } else { b'0' };
    assert_eq!(
        decode(&mode, &bad, 10).unwrap_err().code,
        S3ErrorCode::SignatureDoesNotMatch
    );
    // Signed trailers without their signature.
    let (mode, body) = signed_stream(b"hello", 8192, &[("x-amz-checksum-crc32", "NhCmhg==")]);
    let text = String::from_utf8(body).unwrap();
    let cut = text.find("x-amz-trailer-signature").unwrap();
    let unsigned = format!("{}\r\n", &text[..cut]);
    assert_eq!(
        decode(&mode, unsigned.as_bytes(), 10).unwrap_err().code,
        S3ErrorCode::SignatureDoesNotMatch
    );
}
