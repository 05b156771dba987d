//! A cluster of separate processes, as operators run it: three `tessera
//! meta` voters, three `tessera storage` nodes (EC 2+1) and two `tessera
//! gateway`s. Objects written through one gateway read back byte-exact
//! through the other, and still after the bootstrap meta node and a storage
//! node are killed with SIGKILL; writes go on, degraded.

#![allow(clippy::unwrap_used)]

use aws_credential_types::Credentials;
use aws_sdk_s3::config::Region;
use aws_sdk_s3::primitives::ByteStream;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_tessera");
const AK: &str = "CLUSTERTESTROOT";
const SK: &str = "cluster-test-root-secret";

/// Child processes, killed when the test ends however it ends.
struct Procs(Vec<(String, Child)>, Vec<(String, Vec<String>)>);

impl Procs {
    /// Starts `tessera ARGS`, logging to DIR/NAME.log; returns its stdout lines.
    fn spawn(
        &mut self,
        name: &str,
        args: &[String],
        dir: &std::path::Path,
    ) -> mpsc::Receiver<String> {
        let log = std::fs::File::create(dir.join(format!("{name}.log"))).unwrap();
        let mut child = Command::new(BIN)
            .args(args)
            .env("TESSERA_ROOT_ACCESS_KEY", AK)
            .env("TESSERA_ROOT_SECRET_KEY", SK)
            .env_remove("TESSERA_CONFIG")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        self.0.push((name.to_string(), child));
        self.1.push((name.to_string(), args.to_vec()));
        rx
    }
    /// Starts a killed process again with the same arguments.
    fn respawn(&mut self, name: &str, dir: &std::path::Path) {
        let args = self
            .1
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, a)| a.clone())
            .unwrap();
        let _ = self.spawn(name, &args, dir);
    }

    fn kill(&mut self, name: &str) {
        if let Some((_, c)) = self.0.iter_mut().rev().find(|(n, _)| n == name) {
            let _ = c.kill(); // SIGKILL
            let _ = c.wait();
        }
    }
}

impl Drop for Procs {
    fn drop(&mut self) {
        for (_, c) in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn client(port: u16) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version_latest()
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(AK, SK, None, None, "test"))
        .force_path_style(true)
        .timeout_config(
            aws_sdk_s3::config::timeout::TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_timeout(Duration::from_secs(60))
                .build(),
        )
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// Retries `f` until it succeeds or `within` passes.
async fn eventually<T, E: std::fmt::Debug, F, Fut>(within: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let deadline = Instant::now() + within;
    loop {
        match f().await {
            Ok(v) => return v,
            Err(e) if Instant::now() > deadline => panic!("still failing after {within:?}: {e:?}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// A plain HTTP/1.0 GET on loopback, bounded in time.
async fn http_get(port: u16, path: &str) -> Result<String, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let fetch = async {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| e.to_string())?;
        s.write_all(format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut out = String::new();
        s.read_to_string(&mut out)
            .await
            .map_err(|e| e.to_string())?;
        Ok(out)
    };
    tokio::time::timeout(Duration::from_secs(5), fetch)
        .await
        .map_err(|_| "timed out".to_string())?
}

fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

async fn get(c: &aws_sdk_s3::Client, key: &str) -> Result<Vec<u8>, String> {
    let o = c
        .get_object()
        .bucket("cluster")
        .key(key)
        .send()
        .await
        .map_err(|e| format!("{e:?}"))?;
    Ok(o.body
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .into_bytes()
        .to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn separate_processes_survive_meta_and_storage_loss() {
    let dir = tempfile::tempdir().unwrap();
    let keep = std::env::var_os("TESSERA_KEEP_TEST_DIR").map(std::path::PathBuf::from);
    if let Some(k) = &keep {
        let _ = std::fs::remove_dir_all(k);
        std::fs::create_dir_all(k).unwrap();
    }
    let d = keep.as_deref().unwrap_or(dir.path());
    // Short heartbeats so that a dead storage node is seen within seconds.
    let config = d.join("tessera.toml");
    std::fs::write(
        &config,
        "[storage]\nheartbeat_secs = 1\n[engine]\nnode_timeout_secs = 3\n[worker]\nrepair_interval_secs = 1\nrepair_queue_interval_secs = 1\n",
    )
    .unwrap();
    let config = config.display().to_string();
    let mut procs = Procs(Vec::new(), Vec::new());
    let meta_ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let peers: Vec<String> = meta_ports
        .iter()
        .enumerate()
        .flat_map(|(i, p)| ["--peer".to_string(), format!("{}=127.0.0.1:{p}", i + 1)])
        .collect();
    for (i, port) in meta_ports.iter().enumerate() {
        let mut args = vec![
            "meta".to_string(),
            "--node-id".into(),
            (i + 1).to_string(),
            "--data-dir".into(),
            d.join(format!("meta{}", i + 1)).display().to_string(),
            "--addr".into(),
            format!("127.0.0.1:{port}"),
        ];
        if i == 0 {
            args.push("--bootstrap".into());
        }
        args.extend(peers.iter().cloned());
        procs.spawn(&format!("meta{}", i + 1), &args, d);
    }
    let meta_list = meta_ports
        .iter()
        .map(|p| format!("127.0.0.1:{p}"))
        .collect::<Vec<_>>()
        .join(",");
    for i in 1..=3 {
        let args: Vec<String> = vec![
            "storage".into(),
            "--config".into(),
            config.clone(),
            "--data-dir".into(),
            d.join(format!("storage{i}")).display().to_string(),
            "--zone".into(),
            format!("zone-{i}"),
            "--addr".into(),
            "127.0.0.1:0".into(),
            "--meta".into(),
            meta_list.clone(),
        ];
        procs.spawn(&format!("storage{i}"), &args, d);
    }
    // Gateways on any free ports, announced on their first line of output.
    let mut gw_ports = Vec::new();
    let mut admin_ports = Vec::new();
    for i in 1..=2 {
        let (s3, admin) = start_gateway(
            &mut procs,
            &format!("gateway{i}"),
            d,
            &config,
            &meta_list,
            i == 1,
        );
        gw_ports.push(s3);
        admin_ports.push(admin);
    }
    // A separate worker process joins the cluster (it announces itself once
    // it has loaded the cluster map), and leaves again.
    let worker = procs.spawn(
        "worker1",
        &[
            "worker".to_string(),
            "--config".into(),
            config.clone(),
            "--meta".into(),
            meta_list.clone(),
        ],
        d,
    );
    let banner = worker
        .recv_timeout(Duration::from_secs(30))
        .expect("the worker's banner");
    assert!(banner.starts_with("Tessera worker:"), "{banner}");
    procs.kill("worker1");
    // Ready: each gateway sees the three storage nodes in the cluster map.
    for port in admin_ports.iter().copied() {
        eventually(Duration::from_secs(60), || async move {
            let body = http_get(port, "/ready").await?;
            if body.contains("\"storage_nodes\": 3") {
                Ok(())
            } else {
                Err(body)
            }
        })
        .await;
    }
    let (a, b) = (client(gw_ports[0]), client(gw_ports[1]));
    eventually(Duration::from_secs(60), || {
        a.create_bucket().bucket("cluster").send()
    })
    .await;

    // Inline, one block, many blocks.
    let objects = [
        ("tiny", data(10, 1)),
        ("one-block", data(1_000_000, 2)),
        ("blocks", data(9_000_000, 3)),
    ];
    for (key, body) in &objects {
        a.put_object()
            .bucket("cluster")
            .key(*key)
            .body(ByteStream::from(body.clone()))
            .send()
            .await
            .unwrap();
    }
    for (key, body) in &objects {
        assert_eq!(
            &eventually(Duration::from_secs(30), || get(&b, key)).await,
            body,
            "{key} via the other gateway"
        );
    }

    // SIGKILL a gateway in the middle of a PUT: an acknowledged PUT reads
    // back exact; an unacknowledged one is absent or complete, never
    // partial.
    let (port, _) = start_gateway(&mut procs, "gateway3", d, &config, &meta_list, false);
    let doomed = client(port);
    let big = data(40_000_000, 9);
    let put = tokio::spawn({
        let big = big.clone();
        async move {
            doomed
                .put_object()
                .bucket("cluster")
                .key("mid-put")
                .body(ByteStream::from(big))
                .send()
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    procs.kill("gateway3");
    let acknowledged = put.await.unwrap().is_ok();
    eprintln!("PUT through the killed gateway acknowledged: {acknowledged}");
    match a
        .head_object()
        .bucket("cluster")
        .key("mid-put")
        .send()
        .await
    {
        // A PUT killed after its commit but before its answer exists
        // without having been acknowledged: complete, never partial.
        Ok(_) => assert_eq!(get(&a, "mid-put").await.unwrap(), big),
        Err(e) => {
            assert!(!acknowledged, "an acknowledged PUT was lost: {e:?}");
            assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(404));
        }
    }

    // SIGKILL a storage node in the middle of a PUT: the other two hold a
    // 2+1 quorum, so the PUT is acknowledged (degraded) and reads back.
    let big = data(40_000_000, 11);
    let put = tokio::spawn({
        let (a, big) = (a.clone(), big.clone());
        async move {
            a.put_object()
                .bucket("cluster")
                .key("mid-put-storage")
                .body(ByteStream::from(big))
                .send()
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    procs.kill("storage2");
    put.await
        .unwrap()
        .expect("a PUT with one storage node killed mid-way is acknowledged");
    assert_eq!(get(&b, "mid-put-storage").await.unwrap(), big);
    procs.respawn("storage2", d);
    eventually(Duration::from_secs(30), || async {
        let status = admin_status(admin_ports[0]);
        let up = status["storage"]
            .as_array()
            .map(|s| s.iter().filter(|n| n["state"] == "up").count());
        if up == Some(3) {
            Ok(())
        } else {
            Err(status)
        }
    })
    .await;
    // The blocks written without storage2 are rebuilt on it before another
    // node is lost: a 2+1 block with a missing shard survives no further
    // loss. Wait for a full repair pass that started after storage2 was back
    // and found nothing short.
    let back = tessera_types::now_millis();
    eventually(Duration::from_secs(60), || async {
        let r = admin_json(admin_ports[0], &["repair", "status", "--json"]);
        let fresh = r["repair"]["finished_at"].as_i64().unwrap_or(0) > back + 1000;
        if fresh && r["blocks_below_full_redundancy"] == 0 {
            Ok(())
        } else {
            Err(r)
        }
    })
    .await;

    // Membership: a fourth meta node joins as a voter, then leaves.
    let meta4_port = free_port();
    procs.spawn(
        "meta4",
        &[
            "meta".to_string(),
            "--node-id".into(),
            "4".into(),
            "--data-dir".into(),
            d.join("meta4").display().to_string(),
            "--addr".into(),
            format!("127.0.0.1:{meta4_port}"),
        ],
        d,
    );
    let voters = |s: &serde_json::Value| {
        s["meta"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["voter"] == true)
            .count()
    };
    let added = admin_cmd(
        admin_ports[0],
        &[
            "meta",
            "add-voter",
            "--node-id",
            "4",
            "--addr",
            &format!("127.0.0.1:{meta4_port}"),
        ],
    );
    assert!(added.contains("node 4 is a voter"), "{added}");
    assert_eq!(voters(&admin_status(admin_ports[1])), 4);
    let removed = admin_cmd(admin_ports[0], &["meta", "remove", "4"]);
    assert!(removed.contains("node 4 removed"), "{removed}");
    assert_eq!(voters(&admin_status(admin_ports[1])), 3);
    procs.kill("meta4");

    // The cluster status names the leader and the three live storage nodes.
    let status = admin_status(admin_ports[0]);
    let leader = status["leader_id"].as_u64().expect("a leader");
    assert_eq!(status["meta"].as_array().unwrap().len(), 3);
    let storage = status["storage"].as_array().unwrap();
    assert_eq!(
        storage.iter().filter(|n| n["state"] == "up").count(),
        3,
        "{status}"
    );
    let zone3 = storage.iter().find(|n| n["zone"] == "zone-3").unwrap()["node_id"]
        .as_u64()
        .unwrap();

    // Lose the meta leader and a storage node.
    procs.kill(&format!("meta{leader}"));
    procs.kill("storage3");
    for (key, body) in &objects {
        for c in [&a, &b] {
            assert_eq!(
                &eventually(Duration::from_secs(60), || get(c, key)).await,
                body,
                "{key} after the losses"
            );
        }
    }
    // Writes go on: shards for the dead node are skipped (degraded).
    let late = data(5_000_000, 4);
    eventually(Duration::from_secs(60), || {
        b.put_object()
            .bucket("cluster")
            .key("after")
            .body(ByteStream::from(late.clone()))
            .send()
    })
    .await;
    assert_eq!(
        eventually(Duration::from_secs(30), || get(&a, "after")).await,
        late
    );

    // A new leader, and the dead storage node reported down.
    let status = eventually(Duration::from_secs(30), || async {
        let s = admin_status(admin_ports[1]);
        let new_leader = s["leader_id"].as_u64();
        let dead = s["storage"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["node_id"].as_u64() == Some(zone3) && n["state"] == "down");
        // The others' heartbeats may lag while the group elects a leader.
        let up = s["storage"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["state"] == "up")
            .count();
        if new_leader.is_some() && new_leader != Some(leader) && dead && up == 2 {
            Ok(s)
        } else {
            Err(s)
        }
    })
    .await;

    // A new storage node joins; repair rebuilds onto it every shard that was
    // on the dead node or never written, so losing one more node is fine.
    let storage4: Vec<String> = procs
        .1
        .iter()
        .find(|(n, _)| n == "storage3")
        .unwrap()
        .1
        .iter()
        .map(|a| {
            a.replace("storage3", "storage4")
                .replace("zone-3", "zone-4")
        })
        .collect();
    procs.spawn("storage4", &storage4, d);
    eventually(Duration::from_secs(60), || async {
        let log = std::fs::read_to_string(d.join("gateway1.log")).unwrap_or_default();
        let last_pass = log
            .lines()
            .rev()
            .find(|l| l.contains("repair pass"))
            .unwrap_or_default()
            .to_string();
        if last_pass.contains("still_degraded=0") {
            Ok(())
        } else {
            // What repair said about the blocks it could not rebuild.
            let warnings: Vec<&str> = log
                .lines()
                .filter(|l| l.contains("WARN") && l.contains("repair"))
                .collect();
            let tail = warnings[warnings.len().saturating_sub(5)..].join("\n");
            Err(format!("{last_pass}\n{tail}"))
        }
    })
    .await;
    // The repair status reports the pass: nothing below full redundancy.
    let repair = admin_json(admin_ports[0], &["repair", "status", "--json"]);
    assert_eq!(repair["blocks_below_full_redundancy"], 0, "{repair}");
    procs.kill("storage1");
    let after = ("after", late.clone());
    for (key, body) in objects.iter().chain([&after]) {
        assert_eq!(
            &eventually(Duration::from_secs(60), || get(&b, key)).await,
            body,
            "{key} after repair and a second loss"
        );
    }

    // Lose a majority of the metadata group: requests fail fast with 503.
    procs.kill(&format!("meta{}", status["leader_id"].as_u64().unwrap()));
    let started = Instant::now();
    let err = b
        .head_object()
        .bucket("cluster")
        .key("tiny")
        .send()
        .await
        .unwrap_err();
    let code = err.raw_response().map(|r| r.status().as_u16());
    assert_eq!(code, Some(503), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(45),
        "took {:?}",
        started.elapsed()
    );

    // A majority again (the first leader comes back): service resumes.
    procs.respawn(&format!("meta{leader}"), d);
    assert_eq!(
        eventually(Duration::from_secs(60), || get(&b, "tiny")).await,
        objects[0].1
    );
}

/// Starts `tessera gateway` on free ports; returns its S3 and admin ports,
/// read from its start-up line.
fn start_gateway(
    procs: &mut Procs,
    name: &str,
    dir: &std::path::Path,
    config: &str,
    meta_list: &str,
    workers: bool,
) -> (u16, u16) {
    let mut args: Vec<String> = [
        "gateway",
        "--config",
        config,
        "--meta",
        meta_list,
        "--s3-addr",
        "127.0.0.1:0",
        "--admin-addr",
        "127.0.0.1:0",
        "--website-addr",
        "127.0.0.1:0",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    if workers {
        args.push("--workers".into());
    }
    let banner = procs
        .spawn(name, &args, dir)
        .recv_timeout(Duration::from_secs(60))
        .expect("gateway start-up line");
    let port_after = |marker: &str| -> u16 {
        let rest = &banner[banner.find(marker).expect("address in banner") + marker.len()..];
        rest.split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    (
        port_after("S3 on http://127.0.0.1:"),
        port_after("admin on http://127.0.0.1:"),
    )
}

/// `tessera admin cluster status --json` against a gateway's admin API.
fn admin_status(admin_port: u16) -> serde_json::Value {
    admin_json(admin_port, &["cluster", "status", "--json"])
}

/// `tessera admin ARGS` against a gateway's admin API, its JSON output.
fn admin_json(admin_port: u16, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&admin_cmd(admin_port, args)).unwrap()
}

/// `tessera admin ARGS` against a gateway's admin API, its output.
fn admin_cmd(admin_port: u16, args: &[&str]) -> String {
    let endpoint = format!("http://127.0.0.1:{admin_port}");
    let out = Command::new(BIN)
        .args(["admin", "--endpoint", &endpoint])
        .args(args)
        .env("TESSERA_ROOT_ACCESS_KEY", AK)
        .env("TESSERA_ROOT_SECRET_KEY", SK)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
