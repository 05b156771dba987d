#![allow(clippy::unwrap_used)]

use super::*;

fn parse(inner: &str) -> Result<WebsiteConfiguration, S3Error> {
    WebsiteConfiguration::parse(
        format!("<WebsiteConfiguration {NS}>{inner}</WebsiteConfiguration>").as_bytes(),
    )
}

#[test]
fn full_document_round_trips() {
    let doc = parse(
        "<IndexDocument><Suffix>index.html</Suffix></IndexDocument>\
         <ErrorDocument><Key>404.html</Key></ErrorDocument>\
         <RoutingRules>\
           <RoutingRule><Condition><KeyPrefixEquals>docs/</KeyPrefixEquals></Condition>\
             <Redirect><ReplaceKeyPrefixWith>documents/</ReplaceKeyPrefixWith></Redirect></RoutingRule>\
           <RoutingRule><Condition><HttpErrorCodeReturnedEquals>404</HttpErrorCodeReturnedEquals></Condition>\
             <Redirect><HostName>example.com</HostName><Protocol>https</Protocol>\
             <HttpRedirectCode>302</HttpRedirectCode><ReplaceKeyWith>missing.html</ReplaceKeyWith></Redirect></RoutingRule>\
           <RoutingRule><Condition><KeyPrefixEquals>old/</KeyPrefixEquals></Condition>\
             <Redirect><ReplaceKeyPrefixWith></ReplaceKeyPrefixWith></Redirect></RoutingRule>\
         </RoutingRules>",
    )
    .unwrap();
    assert_eq!(doc.index_document.as_ref().unwrap().suffix, "index.html");
    assert_eq!(doc.error_document.as_ref().unwrap().key, "404.html");
    assert_eq!(doc.routing_rules.len(), 3);
    assert_eq!(doc.routing_rules[0].redirect_code(), 301);
    assert_eq!(doc.routing_rules[1].redirect_code(), 302);
    // An empty ReplaceKeyPrefixWith strips the prefix: it is kept as "".
    assert_eq!(
        doc.routing_rules[2]
            .redirect
            .replace_key_prefix_with
            .as_deref(),
        Some("")
    );
    let xml = roundtrip(&doc);
    assert_eq!(WebsiteConfiguration::parse(xml.as_bytes()).unwrap(), doc);

    let all =
        parse("<RedirectAllRequestsTo><HostName>example.com</HostName></RedirectAllRequestsTo>")
            .unwrap();
    assert_eq!(
        all.redirect_all_requests_to.as_ref().unwrap().host_name,
        "example.com"
    );
    roundtrip(&all);
}

#[test]
fn validation() {
    use S3ErrorCode::*;
    let index = "<IndexDocument><Suffix>index.html</Suffix></IndexDocument>";
    let rule = |c: &str, r: &str| {
        format!("{index}<RoutingRules><RoutingRule>{c}<Redirect>{r}</Redirect></RoutingRule></RoutingRules>")
    };
    for (inner, want) in [
        ("".to_string(), InvalidArgument),
        ("<ErrorDocument><Key>e.html</Key></ErrorDocument>".into(), InvalidArgument),
        ("<IndexDocument><Suffix></Suffix></IndexDocument>".into(), InvalidArgument),
        ("<IndexDocument><Suffix>a/index.html</Suffix></IndexDocument>".into(), InvalidArgument),
        ("<IndexDocument></IndexDocument>".into(), MalformedXML),
        (format!("{index}<ErrorDocument></ErrorDocument>"), MalformedXML),
        (format!("{index}<RedirectAllRequestsTo><HostName>h</HostName></RedirectAllRequestsTo>"), InvalidArgument),
        ("<RedirectAllRequestsTo><Protocol>http</Protocol></RedirectAllRequestsTo>".into(), MalformedXML),
        ("<RedirectAllRequestsTo><HostName>h</HostName><Protocol>ftp</Protocol></RedirectAllRequestsTo>".into(), InvalidRequest),
        (rule("<Condition></Condition>", "<HostName>h</HostName>"), InvalidRequest),
        (rule("<Condition><HttpErrorCodeReturnedEquals>200</HttpErrorCodeReturnedEquals></Condition>", "<HostName>h</HostName>"), InvalidRequest),
        (rule("", "<HttpRedirectCode>300</HttpRedirectCode>"), InvalidRequest),
        (rule("", "<HttpRedirectCode>404</HttpRedirectCode>"), InvalidRequest),
        (rule("", "<ReplaceKeyWith>a</ReplaceKeyWith><ReplaceKeyPrefixWith>b</ReplaceKeyPrefixWith>"), InvalidRequest),
        (rule("", "<Protocol>gopher</Protocol>"), InvalidRequest),
        (format!("{index}<RoutingRules><RoutingRule></RoutingRule></RoutingRules>"), MalformedXML),
        (format!("{index}<IndexDocument>"), MalformedXML),
    ] {
        assert_eq!(code(parse(&inner)), want, "{inner}");
    }
    assert!(parse(&rule("", "<HostName>h</HostName>")).is_ok());
    let e = parse("").unwrap_err();
    assert_eq!(
        e.message,
        "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty"
    );
    let many = format!(
        "{index}<RoutingRules>{}</RoutingRules>",
        "<RoutingRule><Redirect><HostName>h</HostName></Redirect></RoutingRule>"
            .repeat(MAX_ROUTING_RULES + 1)
    );
    assert_eq!(code(parse(&many)), MalformedXML);
}
