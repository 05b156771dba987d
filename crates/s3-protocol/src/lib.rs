//! The S3 protocol, free of I/O: request routing, XML documents, the error
//! table, SigV4 authentication (header, presigned, streaming chunked with
//! trailers) and the checksums S3 clients send.

pub mod auth;
pub mod checksum;
pub mod chunked;
pub mod error;
pub mod fmt;
pub mod range;
pub mod router;
pub mod validate;
pub mod xml;

pub use error::{Result, S3Error, S3ErrorCode};
