//! Versioned binary encoding for everything Tessera persists or sends as an
//! opaque payload (Raft log entries, state-machine records, meta RPC bodies).
//!
//! Format: one version byte followed by MessagePack with named fields. Named
//! fields let a newer release add a field with `#[serde(default)]` and still
//! read records written by an older one; a change that cannot be expressed
//! that way bumps [`FORMAT_VERSION`] and adds a migration in [`decode`].

use serde::{de::DeserializeOwned, Serialize};

/// The format version written by this release.
pub const FORMAT_VERSION: u8 = 1;

#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("encode failed: {0}")]
    Encode(#[from] rmp_serde::encode::Error),
    #[error("decode failed: {0}")]
    Decode(#[from] rmp_serde::decode::Error),
    #[error("empty record")]
    Empty,
    #[error("unsupported record format version {0}")]
    UnknownVersion(u8),
}

/// Encodes `value` with the current format version.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::with_capacity(64);
    out.push(FORMAT_VERSION);
    rmp_serde::encode::write_named(&mut out, value)?;
    Ok(out)
}

/// Decodes a value written by [`encode`] of this or an earlier release.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    let (&version, body) = bytes.split_first().ok_or(CodecError::Empty)?;
    match version {
        1 => Ok(rmp_serde::from_slice(body)?),
        v => Err(CodecError::UnknownVersion(v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Old {
        a: u32,
    }
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct New {
        a: u32,
        #[serde(default)]
        b: Option<String>,
    }

    #[test]
    fn newer_struct_reads_older_record() {
        let bytes = encode(&Old { a: 7 }).unwrap();
        let new: New = decode(&bytes).unwrap();
        assert_eq!(new, New { a: 7, b: None });
    }

    #[test]
    fn rejects_unknown_version_and_empty() {
        assert!(matches!(decode::<Old>(&[]), Err(CodecError::Empty)));
        assert!(matches!(
            decode::<Old>(&[9, 0x80]),
            Err(CodecError::UnknownVersion(9))
        ));
    }
}
