//! A real browser: headless Chromium loads a page from the website
//! endpoint whose script reads an object from the S3 endpoint, another
//! origin (another port). The read goes through only once the bucket's
//! CORS configuration allows the page's origin: a simple GET, a GET with a
//! custom header and a PUT to a presigned URL, which make the browser send
//! a preflight first.
//!
//! Skipped (with a message) when no Chromium is installed: set
//! `TESSERA_CHROMIUM` to its path, or install Debian's `chromium` (e.g.
//! `TESSERA_INSTALL_CHROMIUM=1 scripts/install-deps.sh`).

use crate::setup;
use crate::website::{public_read, put_typed};
use aws_sdk_s3::types::{CorsConfiguration, CorsRule, IndexDocument, WebsiteConfiguration};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one Chromium run may take.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(90);

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("TESSERA_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}

/// The page: two synchronous cross-origin reads of `url` and a write to
/// `put_url` (synchronous, so that the outcomes are in the DOM before the
/// load event), their outcomes written into the DOM.
fn page(url: &str, put_url: &str) -> String {
    format!(
        r#"<!doctype html>
<html><head><title>cors</title></head><body>
<pre id="simple">pending</pre>
<pre id="preflighted">pending</pre>
<pre id="put">pending</pre>
<script>
function read(id, header) {{
  const out = document.getElementById(id);
  try {{
    const xhr = new XMLHttpRequest();
    xhr.open("GET", "{url}", false);
    if (header) xhr.setRequestHeader("x-tessera-test", "1");
    xhr.send();
    out.textContent = "status=" + xhr.status + " body=" + xhr.responseText;
  }} catch (e) {{
    out.textContent = "blocked: " + e.name;
  }}
}}
function write(id) {{
  const out = document.getElementById(id);
  try {{
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", "{put_url}", false);
    xhr.send("written by the browser");
    out.textContent = "status=" + xhr.status;
  }} catch (e) {{
    out.textContent = "blocked: " + e.name;
  }}
}}
read("simple", false);
read("preflighted", true);
write("put");
</script>
</body></html>
"#
    )
}

/// Runs Chromium on `url` with a fresh profile; its DOM after load.
async fn dump_dom(browser: PathBuf, url: String) -> String {
    tokio::task::spawn_blocking(move || {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new(&browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--mute-audio",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("--dump-dom")
            .arg(&url)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", browser.display()));
        let started = Instant::now();
        loop {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            if started.elapsed() > BROWSER_TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                panic!("chromium did not finish within {BROWSER_TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let out = child.wait_with_output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    })
    .await
    .unwrap()
}

async fn set_cors(c: &aws_sdk_s3::Client, rule: CorsRule) {
    c.put_bucket_cors()
        .bucket("data")
        .cors_configuration(
            CorsConfiguration::builder()
                .cors_rules(rule)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

fn outcome(dom: &str, id: &str) -> String {
    let start = format!("<pre id=\"{id}\">");
    let from = dom.find(&start).map(|i| i + start.len());
    from.and_then(|f| dom[f..].find("</pre>").map(|e| dom[f..f + e].to_string()))
        .unwrap_or_else(|| panic!("no #{id} in the page: {dom}"))
}

#[tokio::test]
async fn browser_cross_origin_reads_follow_cors() {
    let Some(browser) = chromium() else {
        eprintln!(
            "SKIPPED browser_cross_origin_reads_follow_cors: no chromium binary found \
             (set TESSERA_CHROMIUM, or run TESSERA_INSTALL_CHROMIUM=1 scripts/install-deps.sh)"
        );
        return;
    };
    let (s, c) = setup("page").await;
    c.create_bucket().bucket("data").send().await.unwrap();
    let data_url = format!("http://{}/data/hello.txt", s.s3_addr);
    put_typed(&c, "data", "hello.txt", "hello from tessera", "text/plain").await;
    let put_url = c
        .put_object()
        .bucket("data")
        .key("from-browser.txt")
        .presigned(
            aws_sdk_s3::presigning::PresigningConfig::expires_in(Duration::from_secs(3600))
                .unwrap(),
        )
        .await
        .unwrap()
        .uri()
        .to_string();
    put_typed(
        &c,
        "page",
        "index.html",
        &page(&data_url, &put_url),
        "text/html",
    )
    .await;
    c.put_bucket_website()
        .bucket("page")
        .website_configuration(
            WebsiteConfiguration::builder()
                .index_document(
                    IndexDocument::builder()
                        .suffix("index.html")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    // Both readable by anyone; only CORS stands between page and data.
    s.set_bucket_config("page", public_read("page", "")).await;
    s.set_bucket_config("data", public_read("data", "")).await;
    let page_url = format!("http://{}/page/", s.website_addr);

    // Without a CORS configuration the browser refuses both reads.
    let dom = dump_dom(browser.clone(), page_url.clone()).await;
    assert_eq!(outcome(&dom, "simple"), "blocked: NetworkError", "{dom}");
    assert_eq!(
        outcome(&dom, "preflighted"),
        "blocked: NetworkError",
        "{dom}"
    );
    assert_eq!(outcome(&dom, "put"), "blocked: NetworkError", "{dom}");
    // The preflight failed, so the PUT was never sent.
    assert!(c
        .head_object()
        .bucket("data")
        .key("from-browser.txt")
        .send()
        .await
        .is_err());

    // A rule for the page's origin lets both through.
    let origin = format!("http://{}", s.website_addr);
    let rule = CorsRule::builder()
        .allowed_origins(origin)
        .allowed_methods("GET")
        .allowed_methods("PUT")
        .allowed_headers("x-tessera-*")
        .allowed_headers("content-type")
        .build()
        .unwrap();
    set_cors(&c, rule).await;
    let dom = dump_dom(browser.clone(), page_url.clone()).await;
    let ok = "status=200 body=hello from tessera";
    assert_eq!(outcome(&dom, "simple"), ok, "{dom}");
    assert_eq!(outcome(&dom, "preflighted"), ok, "{dom}");
    assert_eq!(outcome(&dom, "put"), "status=200", "{dom}");
    let written = c
        .get_object()
        .bucket("data")
        .key("from-browser.txt")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    assert_eq!(written.as_ref(), b"written by the browser");

    // A rule for another origin does not.
    let rule = CorsRule::builder()
        .allowed_origins("http://elsewhere.test")
        .allowed_methods("GET")
        .build()
        .unwrap();
    set_cors(&c, rule).await;
    let dom = dump_dom(browser, page_url).await;
    assert_eq!(outcome(&dom, "simple"), "blocked: NetworkError", "{dom}");
}
