//! The website endpoint's redirects: routing rules and
//! RedirectAllRequestsTo.

use crate::website::{get, index, public_read, put_typed, set_website, site};
use aws_sdk_s3::types::{
    Condition, ErrorDocument, Redirect, RedirectAllRequestsTo, RoutingRule, WebsiteConfiguration,
};

#[tokio::test]
async fn website_redirects_and_routing_rules() {
    let (s, c) = site("site").await;
    s.set_bucket_config("site", public_read("site", "")).await;
    let rules = WebsiteConfiguration::builder()
        .index_document(index("index.html"))
        .error_document(ErrorDocument::builder().key("404.html").build().unwrap())
        .routing_rules(
            RoutingRule::builder()
                .condition(Condition::builder().key_prefix_equals("docs/old/").build())
                .redirect(Redirect::builder().replace_key_prefix_with("docs/").build())
                .build(),
        )
        .routing_rules(
            RoutingRule::builder()
                .condition(
                    Condition::builder()
                        .http_error_code_returned_equals("404")
                        .key_prefix_equals("blog/")
                        .build(),
                )
                .redirect(
                    Redirect::builder()
                        .host_name("blog.example.com")
                        .protocol(aws_sdk_s3::types::Protocol::Https)
                        .http_redirect_code("302")
                        .replace_key_with("archive.html")
                        .build(),
                )
                .build(),
        )
        .build();
    set_website(&c, "site", rules).await;
    let host = s.website_addr.to_string();
    // Prefix replacement, on the same host, bucket kept in the path.
    let r = get(&s, "/site/docs/old/intro.html").await;
    assert_eq!(r.status, 301);
    assert_eq!(
        r.header("location"),
        Some(format!("http://{host}/site/docs/intro.html").as_str())
    );
    // The error-code rule: only when the key is missing.
    let r = get(&s, "/site/blog/2019/post.html").await;
    assert_eq!(
        (r.status, r.header("location")),
        (302, Some("https://blog.example.com/archive.html"))
    );
    put_typed(&c, "site", "blog/now.html", "<p>now</p>", "text/html").await;
    assert_eq!(get(&s, "/site/blog/now.html").await.status, 200);
    // Other missing keys still get the error document.
    let r = get(&s, "/site/elsewhere.html").await;
    assert_eq!((r.status, r.text().as_str()), (404, "<h1>lost</h1>"));

    // Redirect everything to another host, keeping the path.
    let all = RedirectAllRequestsTo::builder()
        .host_name("www.example.com")
        .build()
        .unwrap();
    set_website(
        &c,
        "site",
        WebsiteConfiguration::builder()
            .redirect_all_requests_to(all)
            .build(),
    )
    .await;
    let r = get(&s, "/site/docs/a%20b.html").await;
    assert_eq!(
        (r.status, r.header("location")),
        (301, Some("http://www.example.com/docs/a%20b.html"))
    );
}
