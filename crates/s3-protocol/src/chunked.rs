//! An incremental, memory-bounded decoder of `aws-chunked` request bodies,
//! verifying chunk and trailer signatures in the signed modes.
//!
//! Wire format: chunks `hex-size[;chunk-signature=sig]\r\n<data>\r\n`, a
//! final `0[;chunk-signature=sig]\r\n`, then optional trailer lines
//! `name:value\r\n` (in the signed-trailer mode ended by
//! `x-amz-trailer-signature:sig\r\n`) and a final `\r\n`.
//!
//! Memory: in signed modes one chunk (at most [`MAX_CHUNK_SIZE`]) is held
//! until its signature is verified; unsigned chunks are passed through as
//! zero-copy slices. Header lines and trailers are capped.

use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::auth::chunk_signer::canonical_trailers;
use crate::auth::{ChunkSigner, PayloadMode};
use crate::error::{S3Error, S3ErrorCode};

/// Largest accepted chunk.
pub const MAX_CHUNK_SIZE: usize = 16 * 1024 * 1024;
/// Longest accepted chunk-header line, CRLF included.
pub const MAX_HEADER_LINE: usize = 4 * 1024;
/// Largest accepted trailer section.
pub const MAX_TRAILER_BYTES: usize = 16 * 1024;

const TRAILER_SIGNATURE: &str = "x-amz-trailer-signature";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Reading a chunk-header line.
    Header,
    /// Reading chunk data; bytes left.
    Data(usize),
    /// Reading the CRLF after chunk data; bytes of it already seen.
    DataEnd(usize),
    /// After the final chunk: reading trailer lines.
    Trailers,
    /// The final empty line was read.
    Done,
}

/// Decodes an aws-chunked body fed in pieces of any size.
#[derive(Debug)]
pub struct ChunkedDecoder {
    /// Chunk signatures to verify (signed modes).
    signer: Option<ChunkSigner>,
    /// Trailers are allowed (every mode but `StreamingSigned`).
    trailers_allowed: bool,
    /// Trailers are signed (`StreamingSignedTrailer`).
    trailers_signed: bool,
    state: State,
    /// A partial header or trailer line.
    line: Vec<u8>,
    /// Signature of the chunk being read.
    chunk_signature: String,
    hasher: Sha256,
    /// Data of the chunk being read, held until its signature is checked.
    pending: Vec<Bytes>,
    trailers: Vec<(String, String)>,
    trailer_signature: Option<String>,
    trailer_bytes: usize,
}

fn malformed(why: &str) -> S3Error {
    S3Error::with_message(
        S3ErrorCode::InvalidRequest,
        format!("Malformed aws-chunked body: {why}."),
    )
}

fn incomplete() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::IncompleteBody,
        "The aws-chunked body ended before its final chunk and trailers were complete.",
    )
}

impl ChunkedDecoder {
    /// A decoder for a streaming payload mode; `None` for non-streaming modes.
    pub fn new(mode: &PayloadMode) -> Option<ChunkedDecoder> {
        let (signer, trailers_allowed, trailers_signed) = match mode {
            PayloadMode::StreamingSigned(s) => (Some(s.clone()), false, false),
            PayloadMode::StreamingSignedTrailer(s) => (Some(s.clone()), true, true),
            PayloadMode::StreamingUnsignedTrailer => (None, true, false),
            PayloadMode::Unsigned | PayloadMode::Sha256(_) => return None,
        };
        Some(ChunkedDecoder {
            signer,
            trailers_allowed,
            trailers_signed,
            state: State::Header,
            line: Vec::new(),
            chunk_signature: String::new(),
            hasher: Sha256::new(),
            pending: Vec::new(),
            trailers: Vec::new(),
            trailer_signature: None,
            trailer_bytes: 0,
        })
    }

    /// Feeds raw body bytes (split anywhere), appending decoded payload bytes
    /// to `out` as slices of `input` where possible.
    pub fn feed(&mut self, mut input: Bytes, out: &mut Vec<Bytes>) -> Result<(), S3Error> {
        while !input.is_empty() {
            match self.state {
                State::Header | State::Trailers => {
                    let Some(line) = self.take_line(&mut input)? else {
                        return Ok(());
                    };
                    if self.state == State::Header {
                        self.on_header(&line)?;
                    } else {
                        self.on_trailer(&line)?;
                    }
                }
                State::Data(left) => {
                    let data = input.split_to(left.min(input.len()));
                    let left = left - data.len();
                    if self.signer.is_some() {
                        self.hasher.update(&data);
                        self.pending.push(data);
                    } else {
                        out.push(data);
                    }
                    self.state = State::Data(left);
                    if left == 0 {
                        self.end_of_chunk_data(out)?;
                    }
                }
                State::DataEnd(seen) => {
                    if input[0] != b"\r\n"[seen] {
                        return Err(malformed("chunk data is not followed by CRLF"));
                    }
                    let _ = input.split_to(1);
                    self.state = if seen == 0 {
                        State::DataEnd(1)
                    } else {
                        State::Header
                    };
                }
                State::Done => return Err(malformed("data after the end of the body")),
            }
        }
        Ok(())
    }

    /// Ends the body: `IncompleteBody` unless the final chunk and trailer
    /// section were complete; verifies the trailer signature in the
    /// signed-trailer mode (`SignatureDoesNotMatch`). Returns the trailers
    /// (lower-case name, value), without `x-amz-trailer-signature`.
    pub fn finish(mut self) -> Result<Vec<(String, String)>, S3Error> {
        match self.state {
            State::Done => {}
            // Tolerated: a missing final empty line after complete trailer lines.
            State::Trailers if self.line.is_empty() => {}
            _ => return Err(incomplete()),
        }
        if self.trailers_signed {
            self.verify_trailer_signature()?;
        }
        Ok(self.trailers)
    }

    /// Takes one CRLF-terminated line (without CRLF), buffering a partial one.
    fn take_line(&mut self, input: &mut Bytes) -> Result<Option<Vec<u8>>, S3Error> {
        let limit = if self.state == State::Header {
            MAX_HEADER_LINE
        } else {
            MAX_TRAILER_BYTES - self.trailer_bytes
        };
        let newline = memchr::memchr(b'\n', input);
        let take = newline.map_or(input.len(), |i| i + 1);
        if self.line.len() + take > limit {
            return Err(malformed(if self.state == State::Header {
                "chunk header line too long"
            } else {
                "trailer section too large"
            }));
        }
        self.line.extend_from_slice(&input.split_to(take));
        if newline.is_none() {
            return Ok(None);
        }
        let mut line = std::mem::take(&mut self.line);
        if self.state == State::Trailers {
            self.trailer_bytes += line.len();
        }
        if line.len() < 2 || line[line.len() - 2] != b'\r' {
            return Err(malformed("line is not terminated by CRLF"));
        }
        line.truncate(line.len() - 2);
        Ok(Some(line))
    }

    fn on_header(&mut self, line: &[u8]) -> Result<(), S3Error> {
        let line = std::str::from_utf8(line).map_err(|_| malformed("chunk header is not ASCII"))?;
        let mut parts = line.split(';');
        let size_hex = parts.next().unwrap_or_default().trim();
        if size_hex.is_empty()
            || size_hex.len() > 16
            || !size_hex.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(malformed("invalid chunk size"));
        }
        let size =
            u64::from_str_radix(size_hex, 16).map_err(|_| malformed("invalid chunk size"))?;
        if size > MAX_CHUNK_SIZE as u64 {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidRequest,
                format!(
                    "aws-chunked chunk of {size} bytes exceeds the maximum of {MAX_CHUNK_SIZE}"
                ),
            ));
        }
        let size = usize::try_from(size).map_err(|_| malformed("invalid chunk size"))?;
        if self.signer.is_some() {
            let sig = parts
                .find_map(|ext| ext.trim().strip_prefix("chunk-signature="))
                .ok_or_else(|| malformed("chunk-signature missing"))?;
            self.chunk_signature = sig.trim().to_string();
        }
        if size == 0 {
            self.verify_chunk()?;
            self.state = State::Trailers;
        } else {
            self.state = State::Data(size);
        }
        Ok(())
    }

    fn end_of_chunk_data(&mut self, out: &mut Vec<Bytes>) -> Result<(), S3Error> {
        self.verify_chunk()?;
        out.append(&mut self.pending);
        self.state = State::DataEnd(0);
        Ok(())
    }

    /// Verifies the current chunk's signature (no-op in unsigned mode).
    fn verify_chunk(&mut self) -> Result<(), S3Error> {
        let Some(signer) = self.signer.as_mut() else {
            return Ok(());
        };
        let digest: [u8; 32] = self.hasher.finalize_reset().into();
        signer.verify_chunk(&digest, &self.chunk_signature)
    }

    fn on_trailer(&mut self, line: &[u8]) -> Result<(), S3Error> {
        if line.is_empty() {
            // A blank line before any trailer (some clients put one after the
            // final chunk) is skipped; after trailers it ends the body.
            if !self.trailers.is_empty() || self.trailer_signature.is_some() {
                self.state = State::Done;
            }
            return Ok(());
        }
        if !self.trailers_allowed {
            return Err(malformed(
                "trailers are not allowed with STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            ));
        }
        let line = std::str::from_utf8(line).map_err(|_| malformed("trailer is not UTF-8"))?;
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| malformed("trailer is not of the form name:value"))?;
        let name = name.trim().to_ascii_lowercase();
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(malformed("invalid trailer name"));
        }
        if self.trailer_signature.is_some() {
            return Err(malformed("trailer after x-amz-trailer-signature"));
        }
        let value = value.trim().to_string();
        if name == TRAILER_SIGNATURE {
            if !self.trailers_signed {
                return Err(malformed("x-amz-trailer-signature in an unsigned stream"));
            }
            self.trailer_signature = Some(value);
        } else {
            self.trailers.push((name, value));
        }
        Ok(())
    }

    fn verify_trailer_signature(&mut self) -> Result<(), S3Error> {
        let Some(signer) = self.signer.as_mut() else {
            return Ok(());
        };
        let Some(sig) = self.trailer_signature.as_deref() else {
            if self.trailers.is_empty() {
                return Ok(());
            }
            return Err(S3Error::with_message(
                S3ErrorCode::SignatureDoesNotMatch,
                "The trailers are not signed: x-amz-trailer-signature is missing.",
            ));
        };
        let in_order = canonical_trailers(&self.trailers);
        if signer.verify_trailer(&in_order, sig).is_ok() {
            return Ok(());
        }
        let mut sorted = self.trailers.clone();
        sorted.sort();
        signer.verify_trailer(&canonical_trailers(&sorted), sig)
    }
}

#[cfg(test)]
mod tests;
