//! The `Range` header of GetObject/HeadObject and the
//! `x-amz-copy-source-range` header of UploadPartCopy.
//!
//! S3 serves a single byte range. Like AWS, a `Range` header it cannot use
//! (another unit, a syntax error, several ranges) is ignored and the whole
//! object is returned with 200; only a well-formed but unsatisfiable range is
//! an error (416 `InvalidRange`). `x-amz-copy-source-range` is strict.

use crate::error::{S3Error, S3ErrorCode};
use std::ops::RangeInclusive;

/// One syntactically valid range of a `bytes=` header.
enum Spec {
    /// `first-` or `first-last`.
    From(u64, Option<u64>),
    /// `-suffix_length`.
    Suffix(u64),
}

fn number(s: &str) -> Option<u64> {
    let s = s.trim_matches([' ', '\t']);
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_spec(header: &str) -> Option<Spec> {
    let h = header.trim_matches([' ', '\t']);
    let (unit, set) = h.split_once('=')?;
    if !unit.trim_matches([' ', '\t']).eq_ignore_ascii_case("bytes") || set.contains(',') {
        return None;
    }
    let (first, last) = set.split_once('-')?;
    if first.trim_matches([' ', '\t']).is_empty() {
        return number(last).map(Spec::Suffix);
    }
    let first = number(first)?;
    if last.trim_matches([' ', '\t']).is_empty() {
        return Some(Spec::From(first, None));
    }
    let last = number(last)?;
    (last >= first).then_some(Spec::From(first, Some(last)))
}

fn unsatisfiable(header: &str, size: u64) -> S3Error {
    S3Error::new(S3ErrorCode::InvalidRange)
        .extra("RangeRequested", header)
        .extra("ActualObjectSize", size.to_string())
}

/// Parses a `Range` header (`bytes=0-9`, `bytes=5-`, `bytes=-5`) for an
/// object of `size` bytes, returning the inclusive byte range to send (a
/// last byte past the end is clamped to `size - 1`, a suffix longer than the
/// object selects all of it).
///
/// `Ok(None)`: ignore the header and send the whole object with 200 — the
/// unit is not `bytes`, the syntax is invalid (including `last < first`), or
/// several ranges are asked for (S3 serves one range per request and ignores
/// multi-range headers).
///
/// `Err(InvalidRange)` (416, with `RangeRequested` and `ActualObjectSize`):
/// `first >= size`, a zero-length suffix (`bytes=-0`), or any range of an
/// empty object.
pub fn parse_range(header: &str, size: u64) -> Result<Option<RangeInclusive<u64>>, S3Error> {
    let Some(spec) = parse_spec(header) else {
        return Ok(None);
    };
    let Some(max) = size.checked_sub(1) else {
        return Err(unsatisfiable(header, size));
    };
    match spec {
        Spec::From(first, _) if first >= size => Err(unsatisfiable(header, size)),
        Spec::From(first, last) => Ok(Some(first..=last.map_or(max, |l| l.min(max)))),
        Spec::Suffix(0) => Err(unsatisfiable(header, size)),
        Spec::Suffix(n) => Ok(Some(size.saturating_sub(n)..=max)),
    }
}

/// Parses `x-amz-copy-source-range` for a source object of `size` bytes.
/// Only the form `bytes=first-last` is accepted.
///
/// Errors, as AWS answers them:
/// - any other form (no `bytes=`, a missing bound, several ranges, not a
///   number): 400 `InvalidArgument` "The x-amz-copy-source-range value must
///   be of the form bytes=first-last ...";
/// - `first > last` or `last >= size`: 400 `InvalidArgument` "Range
///   specified is not valid for source object of size: N".
pub fn parse_copy_source_range(header: &str, size: u64) -> Result<RangeInclusive<u64>, S3Error> {
    let invalid = |msg: String| {
        S3Error::with_message(S3ErrorCode::InvalidArgument, msg)
            .extra("ArgumentName", "x-amz-copy-source-range")
            .extra("ArgumentValue", header)
    };
    let strict_number = |s: &str| {
        if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
            None
        } else {
            s.parse::<u64>().ok()
        }
    };
    let bounds = header
        .strip_prefix("bytes=")
        .and_then(|r| r.split_once('-'))
        .and_then(|(f, l)| Some((strict_number(f)?, strict_number(l)?)));
    let Some((first, last)) = bounds else {
        return Err(invalid(
            "The x-amz-copy-source-range value must be of the form bytes=first-last where \
             first and last are the zero-based offsets of the first and last bytes to copy"
                .to_string(),
        ));
    };
    if first > last || last >= size {
        return Err(invalid(format!(
            "Range specified is not valid for source object of size: {size}"
        )));
    }
    Ok(first..=last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code<T: std::fmt::Debug>(r: Result<T, S3Error>) -> S3ErrorCode {
        match r {
            Ok(v) => panic!("expected an error, got {v:?}"),
            Err(e) => e.code,
        }
    }

    #[test]
    fn satisfiable_ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Ok(Some(0..=9)));
        assert_eq!(parse_range("bytes=0-0", 1), Ok(Some(0..=0)));
        assert_eq!(parse_range("bytes=5-", 100), Ok(Some(5..=99)));
        assert_eq!(parse_range("bytes=-5", 100), Ok(Some(95..=99)));
        assert_eq!(parse_range("bytes=-500", 100), Ok(Some(0..=99)));
        assert_eq!(parse_range("bytes=90-1000", 100), Ok(Some(90..=99)));
        assert_eq!(parse_range("bytes=99-99", 100), Ok(Some(99..=99)));
        assert_eq!(parse_range("BYTES=1-2", 100), Ok(Some(1..=2)));
        assert_eq!(parse_range(" bytes=1-2 ", 100), Ok(Some(1..=2)));
        assert_eq!(
            parse_range("bytes=0-18446744073709551615", 10),
            Ok(Some(0..=9))
        );
    }

    #[test]
    fn ignored_ranges() {
        for h in [
            "",
            "bytes",
            "bytes=",
            "bytes=-",
            "bytes=abc",
            "bytes=a-b",
            "bytes=1-a",
            "bytes=9-5",
            "bytes=+1-2",
            "bytes=0-1,3-4",
            "bytes=0-1, 5-",
            "items=0-9",
            "0-9",
            "bytes=1-2-3",
            "bytes=99999999999999999999-",
        ] {
            assert_eq!(parse_range(h, 100), Ok(None), "{h}");
        }
    }

    #[test]
    fn unsatisfiable_ranges() {
        assert_eq!(
            code(parse_range("bytes=100-", 100)),
            S3ErrorCode::InvalidRange
        );
        assert_eq!(
            code(parse_range("bytes=100-200", 100)),
            S3ErrorCode::InvalidRange
        );
        assert_eq!(
            code(parse_range("bytes=-0", 100)),
            S3ErrorCode::InvalidRange
        );
        assert_eq!(code(parse_range("bytes=0-0", 0)), S3ErrorCode::InvalidRange);
        assert_eq!(
            code(parse_range("bytes=40-50", 0)),
            S3ErrorCode::InvalidRange
        );
        assert_eq!(code(parse_range("bytes=-5", 0)), S3ErrorCode::InvalidRange);
        assert_eq!(code(parse_range("bytes=0-", 0)), S3ErrorCode::InvalidRange);
        let e = parse_range("bytes=40-50", 0).err();
        assert_eq!(e.as_ref().map(|e| e.status().as_u16()), Some(416));
        let extra = e.map(|e| e.extra).unwrap_or_default();
        assert!(extra.contains(&("RangeRequested", "bytes=40-50".to_string())));
        assert!(extra.contains(&("ActualObjectSize", "0".to_string())));
        // An ignorable header stays ignorable on an empty object.
        assert_eq!(parse_range("bytes=0-1,2-3", 0), Ok(None));
    }

    #[test]
    fn copy_source_ranges() {
        assert_eq!(parse_copy_source_range("bytes=0-4", 5), Ok(0..=4));
        assert_eq!(parse_copy_source_range("bytes=2-2", 5), Ok(2..=2));
        for h in [
            "0-2",
            "bytes=0",
            "bytes=hello-world",
            "bytes=0-bar",
            "bytes=hello-",
            "bytes=0-2,3-5",
            "bytes=-5",
            "bytes=5-",
            "bytes=-",
            "bytes= 0-2",
            "BYTES=0-2",
            "",
        ] {
            let e = parse_copy_source_range(h, 10).err();
            assert_eq!(
                e.as_ref().map(|e| e.code),
                Some(S3ErrorCode::InvalidArgument),
                "{h}"
            );
            assert!(
                e.is_some_and(|e| e.message.contains("bytes=first-last")),
                "{h}"
            );
        }
        for (h, size) in [
            ("bytes=0-21", 5),
            ("bytes=5-5", 5),
            ("bytes=3-2", 5),
            ("bytes=0-0", 0),
        ] {
            let e = parse_copy_source_range(h, size).err();
            assert_eq!(
                e.as_ref().map(|e| e.code),
                Some(S3ErrorCode::InvalidArgument),
                "{h}"
            );
            assert!(e.is_some_and(|e| e.message.contains(&format!("of size: {size}"))));
        }
    }
}
