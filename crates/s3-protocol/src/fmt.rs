//! Formatting of the values S3 puts in headers and XML documents: timestamps,
//! ETags and the `encoding-type=url` form of keys.
//!
//! Timestamps are [`tessera_types::UnixMillis`]. Values outside the years
//! 0001..=9999 are clamped to that range, so formatting never fails.

use std::fmt::Write as _;
use std::time::{Duration, UNIX_EPOCH};
use time::{OffsetDateTime, Weekday};

/// 0001-01-01T00:00:00.000Z in Unix milliseconds.
const MIN_MILLIS: i64 = -62_135_596_800_000;
/// 9999-12-31T23:59:59.999Z in Unix milliseconds.
const MAX_MILLIS: i64 = 253_402_300_799_999;

fn datetime(unix_millis: i64) -> OffsetDateTime {
    let ms = unix_millis.clamp(MIN_MILLIS, MAX_MILLIS);
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// ISO 8601 with milliseconds, as S3 writes timestamps in XML:
/// `2009-10-12T17:50:30.000Z`.
pub fn iso8601_millis(unix_millis: i64) -> String {
    let dt = datetime(unix_millis);
    let mut s = String::with_capacity(24);
    // Writing to a String cannot fail.
    let _ = write!(
        s,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.millisecond()
    );
    s
}

/// The IMF-fixdate of RFC 7231, as S3 writes `Last-Modified`:
/// `Mon, 12 Oct 2009 17:50:30 GMT`. Milliseconds are truncated.
pub fn http_date(unix_millis: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let dt = datetime(unix_millis);
    let day = match dt.weekday() {
        Weekday::Monday => "Mon",
        Weekday::Tuesday => "Tue",
        Weekday::Wednesday => "Wed",
        Weekday::Thursday => "Thu",
        Weekday::Friday => "Fri",
        Weekday::Saturday => "Sat",
        Weekday::Sunday => "Sun",
    };
    let month = MONTHS
        .get(usize::from(u8::from(dt.month())).saturating_sub(1))
        .copied()
        .unwrap_or("Jan");
    let mut s = String::with_capacity(29);
    let _ = write!(
        s,
        "{day}, {:02} {month} {:04} {:02}:{:02}:{:02} GMT",
        dt.day(),
        dt.year(),
        dt.hour(),
        dt.minute(),
        dt.second()
    );
    s
}

/// Parses an HTTP date (`If-Modified-Since`, `x-amz-copy-source-if-*`) in any
/// of the three forms of RFC 7231 (IMF-fixdate, RFC 850, asctime) into Unix
/// milliseconds. `None` when the value is not a valid date.
pub fn parse_http_date(s: &str) -> Option<i64> {
    let t = httpdate::parse_http_date(s.trim()).ok()?;
    let d: Duration = t.duration_since(UNIX_EPOCH).ok()?;
    i64::try_from(d.as_millis()).ok()
}

/// Parses the `Date` header of a signed request into Unix milliseconds:
/// any of the forms of [`parse_http_date`], or RFC 2822 with a numeric zone
/// (`Mon, 23 Nov 2026 20:00:00 -0000`, `+0100`), which botocore and Python's
/// `email.utils.formatdate` write. `None` when the value is not a date.
pub fn parse_date_header(s: &str) -> Option<i64> {
    parse_http_date(s).or_else(|| {
        let t =
            OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc2822).ok()?;
        i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
    })
}

/// Encodes a key, prefix, marker or delimiter for a listing requested with
/// `encoding-type=url`: every byte of the UTF-8 form except the RFC 3986
/// unreserved characters (`A-Z a-z 0-9 - _ . ~`) and `/` becomes `%XX`
/// (uppercase hex); a space is `%20`, a `+` is `%2B`. This is what the
/// ceph s3-tests `test_bucket_list_encoding_basic` expects of AWS.
pub fn url_encode_key(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
    out
}

/// Wraps an ETag in double quotes as S3 shows it in headers and XML
/// (`"d41d8cd98f00b204e9800998ecf8427e"`). A value already quoted is
/// returned unchanged.
pub fn quote_etag(etag: &str) -> String {
    if etag.len() >= 2 && etag.starts_with('"') && etag.ends_with('"') {
        etag.to_string()
    } else {
        format!("\"{etag}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OCT_12_2009: i64 = 1_255_369_830_000;

    #[test]
    fn iso8601() {
        assert_eq!(iso8601_millis(OCT_12_2009), "2009-10-12T17:50:30.000Z");
        assert_eq!(
            iso8601_millis(OCT_12_2009 + 123),
            "2009-10-12T17:50:30.123Z"
        );
        assert_eq!(iso8601_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601_millis(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(iso8601_millis(i64::MAX), "9999-12-31T23:59:59.999Z");
        assert_eq!(iso8601_millis(i64::MIN), "0001-01-01T00:00:00.000Z");
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            http_date(OCT_12_2009 + 999),
            "Mon, 12 Oct 2009 17:50:30 GMT"
        );
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(i64::MAX), "Fri, 31 Dec 9999 23:59:59 GMT");
        for ms in [0, OCT_12_2009, 1_700_000_000_000, 4_102_444_800_000] {
            assert_eq!(parse_http_date(&http_date(ms)), Some(ms));
        }
    }

    #[test]
    fn parses_all_three_http_date_forms() {
        let want = Some(784_111_777_000);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), want);
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), want);
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), want);
        assert_eq!(parse_http_date(" Sun, 06 Nov 1994 08:49:37 GMT "), want);
        assert_eq!(parse_http_date("yesterday"), None);
        assert_eq!(parse_http_date(""), None);
        assert_eq!(parse_http_date("2009-10-12T17:50:30.000Z"), None);
    }

    #[test]
    fn date_headers_in_http_and_rfc2822_forms() {
        let want = Some(1_795_464_000_000); // Mon, 23 Nov 2026 20:00:00 GMT
        assert_eq!(parse_date_header("Mon, 23 Nov 2026 20:00:00 GMT"), want);
        assert_eq!(parse_date_header("Monday, 23-Nov-26 20:00:00 GMT"), want);
        assert_eq!(parse_date_header("Mon Nov 23 20:00:00 2026"), want);
        assert_eq!(parse_date_header("Mon, 23 Nov 2026 20:00:00 -0000"), want);
        assert_eq!(parse_date_header("Mon, 23 Nov 2026 20:00:00 +0000"), want);
        assert_eq!(parse_date_header(" Mon, 23 Nov 2026 21:00:00 +0100 "), want);
        assert_eq!(parse_date_header("Mon, 23 Nov 2026 15:00:00 -0500"), want);
        assert_eq!(parse_date_header("20261123T200000Z"), None);
        assert_eq!(parse_date_header(""), None);
    }

    #[test]
    fn url_encoding() {
        assert_eq!(url_encode_key("quux ab/"), "quux%20ab/");
        assert_eq!(url_encode_key("foo+1/bar"), "foo%2B1/bar");
        assert_eq!(url_encode_key("100%.csv"), "100%25.csv");
        assert_eq!(url_encode_key("a-b_c.d~e/f"), "a-b_c.d~e/f");
        assert_eq!(url_encode_key("한"), "%ED%95%9C");
        assert_eq!(url_encode_key("\n<&>*"), "%0A%3C%26%3E%2A");
        assert_eq!(url_encode_key(""), "");
    }

    #[test]
    fn etags() {
        assert_eq!(quote_etag("abc"), "\"abc\"");
        assert_eq!(quote_etag("\"abc\""), "\"abc\"");
        assert_eq!(quote_etag("abc-2"), "\"abc-2\"");
        assert_eq!(quote_etag(""), "\"\"");
        assert_eq!(quote_etag("\""), "\"\"\"");
    }
}
