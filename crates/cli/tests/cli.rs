//! The `tessera` binary as operators use it: `tessera server` with a config
//! file, its start-up banner, `tessera admin key ...`, `tessera admin
//! topic ...`, and a clean stop on
//! SIGTERM.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_tessera");

struct Server {
    child: Child,
    s3: String,
    admin: String,
    access_key: String,
    secret_key: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `tessera server` on free ports and reads its banner.
fn start(dir: &std::path::Path) -> Server {
    let config = dir.join("tessera.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n[gateway]\ns3_addr = \"127.0.0.1:0\"\nadmin_addr = \"127.0.0.1:0\"\nwebsite_addr = \"127.0.0.1:0\"\n[meta]\naddr = \"127.0.0.1:0\"\n[storage]\naddr = \"127.0.0.1:0\"\n",
            dir.join("data")
        ),
    )
    .unwrap();
    let mut child = Command::new(BIN)
        .args(["server", "--config"])
        .arg(&config)
        .env_remove("TESSERA_ROOT_ACCESS_KEY")
        .env_remove("TESSERA_ROOT_SECRET_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let (mut s3, mut admin, mut ak, mut sk) = (None, None, None, None);
    while s3.is_none() || admin.is_none() || ak.is_none() || sk.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx.recv_timeout(left).expect("server banner within 60 s");
        let value = || {
            line.split_whitespace()
                .last()
                .unwrap_or_default()
                .to_string()
        };
        if line.contains("S3 endpoint:") {
            s3 = Some(value());
        } else if line.contains("Admin API:") {
            admin = Some(value());
        } else if line.contains("Access key id:") {
            ak = Some(value());
        } else if line.contains("Secret access key:") {
            sk = Some(value());
        }
    }
    Server {
        child,
        s3: s3.unwrap(),
        admin: admin.unwrap(),
        access_key: ak.unwrap(),
        secret_key: sk.unwrap(),
    }
}

fn admin(s: &Server, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .arg("admin")
        .args(args)
        .env("TESSERA_ADMIN_ENDPOINT", &s.admin)
        .env("TESSERA_ROOT_ACCESS_KEY", &s.access_key)
        .env("TESSERA_ROOT_SECRET_KEY", &s.secret_key)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn wait_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "process did not exit in {within:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn server_banner_admin_keys_and_clean_stop() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(dir.path());
    assert!(s.s3.starts_with("http://127.0.0.1:"), "{}", s.s3);
    assert!(s.access_key.starts_with("TK") && s.secret_key.len() == 40);

    let (ok, out, err) = admin(&s, &["key", "create", "--name", "alice", "--json"]);
    assert!(ok, "{err}");
    let key: serde_json::Value = serde_json::from_str(&out).unwrap();
    let id = key["access_key_id"].as_str().unwrap().to_string();
    assert!(key["secret_key"].as_str().is_some());

    let (ok, out, err) = admin(
        &s,
        &[
            "key",
            "create",
            "--name",
            "ci",
            "--access-key",
            "CIKEY1",
            "--secret-key",
            "ci-secret-1",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("CIKEY1"));

    let (ok, out, _) = admin(&s, &["key", "list"]);
    assert!(ok);
    assert!(out.contains(&id) && out.contains("alice") && out.contains("CIKEY1"));
    assert!(!out.contains("ci-secret-1"), "secrets are never listed");

    let (ok, out, _) = admin(&s, &["key", "delete", "CIKEY1"]);
    assert!(ok, "{out}");
    let (ok, _, err) = admin(&s, &["key", "delete", "CIKEY1"]);
    assert!(!ok);
    assert!(err.contains("no such access key"), "{err}");

    // Storage nodes: an unknown id is refused; a known one is retired, and
    // the cluster status says so.
    let (ok, _, err) = admin(&s, &["node", "remove", "424242"]);
    assert!(!ok);
    assert!(err.contains("404") && err.contains("424242"), "{err}");
    let (ok, out, err) = admin(&s, &["cluster", "status", "--json"]);
    assert!(ok, "{err}");
    let cluster: serde_json::Value = serde_json::from_str(&out).unwrap();
    let node = cluster["storage"][0]["node_id"]
        .as_u64()
        .unwrap()
        .to_string();
    let (ok, out, err) = admin(&s, &["node", "remove", &node]);
    assert!(ok, "{err}");
    let line = out
        .lines()
        .find(|l| l.starts_with(&node))
        .unwrap_or_default();
    assert!(line.contains("removed"), "{out}");
    let (ok, out, err) = admin(&s, &["repair", "status"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("Repair queue:") && out.contains("Orphan sweep"),
        "{out}"
    );

    // Buckets: none yet; an unknown one is refused by name.
    let (ok, out, err) = admin(&s, &["bucket", "list"]);
    assert!(ok && out.starts_with("BUCKET"), "{out}{err}");
    let (ok, _, err) = admin(&s, &["bucket", "show", "nope"]);
    assert!(!ok && err.contains("no bucket named nope"), "{err}");

    // Topics: create prints the ARN alone; list shows it; delete.
    let (ok, out, err) = admin(
        &s,
        &[
            "topic",
            "create",
            "orders",
            "--webhook",
            "http://127.0.0.1:9/hook",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "arn:aws:sns:us-east-1:000000000000:orders");
    let (ok, out, _) = admin(&s, &["topic", "list"]);
    assert!(
        ok && out.contains("arn:aws:sns:us-east-1:000000000000:orders"),
        "{out}"
    );
    let (ok, out, _) = admin(&s, &["topic", "delete", "orders"]);
    assert!(ok && out.contains("orders"), "{out}");
    let (ok, _, err) = admin(&s, &["topic", "delete", "orders"]);
    assert!(!ok && err.contains("no topic named orders"), "{err}");

    // Without root credentials the CLI says what it needs.
    let out = Command::new(BIN)
        .args(["admin", "key", "list"])
        .env("TESSERA_ADMIN_ENDPOINT", &s.admin)
        .env_remove("TESSERA_ROOT_ACCESS_KEY")
        .env_remove("TESSERA_ROOT_SECRET_KEY")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("TESSERA_ROOT_ACCESS_KEY"));

    // SIGTERM: a clean stop with exit status 0.
    let pid = s.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = wait_exit(&mut s.child, Duration::from_secs(30));
    assert!(status.success(), "{status:?}");

    // The same data directory starts again with the same root key and keys.
    let s2 = start(dir.path());
    assert_eq!(s2.access_key, s.access_key);
    let (ok, out, _) = admin(&s2, &["key", "list"]);
    assert!(ok && out.contains(&id));
}

#[test]
fn bad_configuration_is_refused_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "[gateway]\nno_such_field = 1\n").unwrap();
    let out = Command::new(BIN)
        .args(["server", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no_such_field"));
    let out = Command::new(BIN)
        .args(["server"])
        .env_remove("TESSERA_DATA_DIR")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("data directory"));
}
