//! Which bucket and key a website request is for.
//!
//! `Host: BUCKET.<website-domain>` addresses BUCKET, the whole path being
//! the key. A Host that is a bare website domain or an IP address (or
//! missing) takes the bucket from the first path segment. Any other Host
//! is itself the bucket's name, as a CNAME to the website endpoint would
//! have it (`www.example.com` serves the bucket `www.example.com`).

use std::net::IpAddr;
use tessera_s3_protocol::router::decode_path;
use tessera_s3_protocol::S3Error;

/// A routed website request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Target {
    pub bucket: String,
    /// The key as requested, percent-decoded (`""` for the root).
    pub key: String,
    /// The bucket came from the path: links and redirects on this host
    /// keep it as their first segment.
    pub path_style: bool,
    /// The Host the client asked for, port included (redirects keep it).
    pub host: String,
    /// `http`, or what a TLS-ending proxy says in `X-Forwarded-Proto`.
    pub protocol: String,
}

impl Target {
    /// The path on this host that addresses `key` of the same bucket.
    pub(crate) fn path_of(&self, key: &str) -> String {
        let key = tessera_s3_protocol::fmt::url_encode_key(key);
        if self.path_style {
            format!("/{}/{key}", self.bucket)
        } else {
            format!("/{key}")
        }
    }
}

/// The host without its port, lower-cased.
fn host_name(host: &str) -> String {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else {
        host.rsplit_once(':')
            .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
            .map_or(host, |(name, _)| name)
    };
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// Routes a website request by its Host header and path.
pub(crate) fn parse(parts: &http::request::Parts, domains: &[String]) -> Result<Target, S3Error> {
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()))
        .unwrap_or_default()
        .to_string();
    let name = host_name(&host);
    let path = decode_path(parts.uri.path().strip_prefix('/').unwrap_or_default())?;
    let vhost = domains.iter().find_map(|d| {
        let d = d.to_ascii_lowercase();
        name.strip_suffix(&d)
            .and_then(|b| b.strip_suffix('.'))
            .filter(|b| !b.is_empty())
            .map(str::to_string)
    });
    let bare = name.is_empty()
        || name.parse::<IpAddr>().is_ok()
        || domains.iter().any(|d| d.eq_ignore_ascii_case(&name));
    let (bucket, key, path_style) = match vhost {
        Some(bucket) => (bucket, path, false),
        None if bare => {
            let (b, k) = path.split_once('/').unwrap_or((&path, ""));
            (b.to_string(), k.to_string(), true)
        }
        None => (name, path, false),
    };
    let protocol = match parts
        .headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
    {
        Some(p) if p.eq_ignore_ascii_case("https") => "https",
        _ => "http",
    };
    Ok(Target {
        bucket,
        key,
        path_style,
        host,
        protocol: protocol.to_string(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn route(host: &str, path: &str) -> Target {
        let (parts, ()) = http::Request::builder()
            .uri(path)
            .header("host", host)
            .body(())
            .unwrap()
            .into_parts();
        parse(&parts, &["localhost".into(), "web.example".into()]).unwrap()
    }

    #[test]
    fn virtual_hosts_paths_and_cnames() {
        let t = route("site.localhost:9080", "/a/b%20c.html?x=1");
        assert_eq!(
            (t.bucket.as_str(), t.key.as_str(), t.path_style),
            ("site", "a/b c.html", false)
        );
        assert_eq!(t.path_of("a/b c.html"), "/a/b%20c.html");
        let t = route("my.site.WEB.example", "/");
        assert_eq!((t.bucket.as_str(), t.key.as_str()), ("my.site", ""));
        let t = route("127.0.0.1:9080", "/site/docs/");
        assert_eq!(
            (t.bucket.as_str(), t.key.as_str(), t.path_style),
            ("site", "docs/", true)
        );
        assert_eq!(t.path_of("docs/"), "/site/docs/");
        let t = route("[::1]:9080", "/site");
        assert_eq!((t.bucket.as_str(), t.key.as_str()), ("site", ""));
        let t = route("localhost", "/site/x");
        assert_eq!((t.bucket.as_str(), t.key.as_str()), ("site", "x"));
        let t = route("www.example.com", "/x");
        assert_eq!(
            (t.bucket.as_str(), t.key.as_str(), t.path_style),
            ("www.example.com", "x", false)
        );
        assert_eq!(t.host, "www.example.com");
        assert_eq!(t.protocol, "http");
    }
}
