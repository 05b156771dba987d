#!/usr/bin/env python3
"""`make bench`: Tessera and SeaweedFS side by side, in one run.

    scripts/bench/run.py [--quick] [--cluster] [--out docs/benchmarks.md]

Starts `tessera server` (the release binary, or $TESSERA_BIN) and a
single-node SeaweedFS (scripts/bench/seaweedfs.sh) with their data in the same
directory on the same disk, runs the same `tessera bench` suite against each,
one after the other, and writes the results with Tessera/SeaweedFS ratios and
each server's peak RSS into the benchmarks page between its
`<!-- bench:begin -->` and `<!-- bench:end -->` markers. With --cluster, the
suite runs against a local multi-process cluster (scripts/local-cluster.sh)
instead of `tessera server`. --quick shortens every step (for a smoke test).

Each step deletes its objects when it ends. Before the next step starts, the
script waits until both servers are idle (the background work those deletions
left, such as freeing data on disk, finished) and records how long that took
for each server, so that no step is measured while the other server or the
step before is still at work.
"""
import argparse, datetime, json, os, platform, shutil, signal, subprocess, sys, tempfile, time
import urllib.request, urllib.error

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/tessera/target"))
BIN = os.environ.get("TESSERA_BIN", os.path.join(TARGET, "release", "tessera"))
AK, SK = "BENCHROOTKEY00000001", "bench-root-secret-key-0123456789abcdefgh"
TESSERA_PORT, PEER_PORT, CLUSTER_OFFSET = 9400, 8333, 300

# The memory step: 16 clients uploading one object of this size each.
UPLOAD_SIZE, UPLOAD_LABEL = "1GiB", "16 × 1 GiB PUT"

# (label, workload, size, concurrency, seconds, objects, what the ratio compares)
SUITE = [
    ("4 KiB PUT", "put", "4KiB", 16, 20, 0, "ops_per_sec"),
    ("4 KiB GET", "get", "4KiB", 16, 20, 2000, "ops_per_sec"),
    ("1 MiB PUT", "put", "1MiB", 8, 20, 0, "mib_per_sec"),
    ("1 MiB GET", "get", "1MiB", 8, 20, 200, "mib_per_sec"),
    ("64 MiB PUT", "put", "64MiB", 4, 30, 0, "mib_per_sec"),
    ("64 MiB GET", "get", "64MiB", 4, 30, 12, "mib_per_sec"),
    ("LIST 20,000 keys", "list", "0", 4, 20, 20000, "keys_per_sec"),
    ("mixed 4 KiB-1 MiB", "mixed", "4KiB:80,1MiB:20", 16, 20, 1000, "ops_per_sec"),
]

# Disk the full suite needs: Tessera's 16 GiB upload is 24 GiB of 2+1 shards
# until it is deleted, and SeaweedFS keeps deleted data in its volumes.
MIN_FREE_BYTES = 48 << 30

# Before each step both servers are left to finish the background work of the
# step before (idle: under this share of one core for 3 s), at most this long.
SETTLE_CPU, SETTLE_LIMIT_SECS = 0.05, 300


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def wait_http(url, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # any HTTP answer: the server is up
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"bench: nothing answers at {url} after {timeout} s")


def port_free(port):
    import socket
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def rss_kib(pid, field):
    """VmRSS or VmHWM (peak) of a process, KiB."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def cpu_ticks(pid):
    """User + system CPU ticks a process has used; None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None


def settle(pids, quiet_secs=3, limit_secs=SETTLE_LIMIT_SECS):
    """Waits until every server in `pids` is idle: below SETTLE_CPU of a core
    for `quiet_secs` seconds in a row (background work of the step before,
    such as deleting its objects' data, finished), at most `limit_secs`.
    Returns the seconds waited."""
    hz = os.sysconf("SC_CLK_TCK")
    start = time.monotonic()
    quiet = 0
    last = {p: cpu_ticks(p) for p in pids}
    while quiet < quiet_secs and time.monotonic() - start < limit_secs:
        time.sleep(1)
        now = {p: cpu_ticks(p) for p in pids}
        busy = any(now[p] is not None and last[p] is not None and (now[p] - last[p]) / hz > SETTLE_CPU
                   for p in pids)
        quiet = 0 if busy else quiet + 1
        last = now
    return time.monotonic() - start


def bench(endpoint, ak, sk, bucket, workload, size, conc, secs, objects, count=None):
    cmd = [BIN, "bench", workload, "--endpoint", endpoint, "--access-key", ak,
           "--secret-key", sk, "--bucket", bucket, "--size", size, "-c", str(conc),
           "--objects", str(objects), "--json"]
    cmd += ["--count", str(count)] if count else ["--duration", str(secs)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=secs + 900)
    if out.returncode != 0:
        raise SystemExit(f"bench: {' '.join(cmd[:3])} failed:\n{out.stderr}")
    report = json.loads(out.stdout)
    for op in report["ops"]:
        if op.get("first_error"):
            log(f"bench: {endpoint}: {op['op']}: {op['errors']} errors, the first: {op['first_error'][:500]}")
    return report


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--cluster", action="store_true")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks.md"))
    args = ap.parse_args()
    if not os.access(BIN, os.X_OK):
        raise SystemExit(f"bench: no binary at {BIN} (make build, or set TESSERA_BIN)")
    for port in (TESSERA_PORT, TESSERA_PORT + 1, TESSERA_PORT + 2, PEER_PORT):
        if not args.cluster or port == PEER_PORT:
            if not port_free(port):
                raise SystemExit(f"bench: port {port} is in use; stop what listens there first")
    work = tempfile.mkdtemp(prefix="bench-", dir=os.path.dirname(TARGET) if os.path.isdir(os.path.dirname(TARGET)) else None)
    free = shutil.disk_usage(work).free
    if not args.quick and free < MIN_FREE_BYTES:
        shutil.rmtree(work, ignore_errors=True)
        raise SystemExit(f"bench: {free / 2**30:.0f} GiB free where the data goes; the suite needs "
                         f"{MIN_FREE_BYTES / 2**30:.0f} GiB (a full disk fails requests, not the benchmark)")
    procs, results, rss, settled = [], {}, {}, {}
    peer_dir = os.path.join(work, "seaweedfs")
    cluster_dir = os.path.join(work, "cluster")
    try:
        env = dict(os.environ, TESSERA_ROOT_ACCESS_KEY=AK, TESSERA_ROOT_SECRET_KEY=SK)
        if args.cluster:
            env["TESSERA_PORT_OFFSET"] = str(CLUSTER_OFFSET)
            env["TESSERA_BIN"] = BIN
            subprocess.run([os.path.join(ROOT, "scripts", "local-cluster.sh"), "up", cluster_dir],
                           env=env, check=True, stdout=sys.stderr)
            tessera_ep = f"http://127.0.0.1:{19001 + CLUSTER_OFFSET}"
            tessera_pid = None
        else:
            data = os.path.join(work, "tessera")
            os.makedirs(data)
            p = subprocess.Popen([BIN, "server", "--data-dir", data,
                                  "--s3-addr", f"127.0.0.1:{TESSERA_PORT}",
                                  "--admin-addr", f"127.0.0.1:{TESSERA_PORT + 1}",
                                  "--website-addr", f"127.0.0.1:{TESSERA_PORT + 2}"],
                                 env=env, stdout=open(os.path.join(work, "tessera.log"), "w"),
                                 stderr=subprocess.STDOUT)
            procs.append(p)
            tessera_ep = f"http://127.0.0.1:{TESSERA_PORT}"
            tessera_pid = p.pid
        wait_http(tessera_ep)
        peer_env = dict(os.environ, PEER_ACCESS_KEY=AK, PEER_SECRET_KEY=SK)
        subprocess.run([os.path.join(ROOT, "scripts", "bench", "seaweedfs.sh"), "start", peer_dir,
                        str(PEER_PORT)], env=peer_env, check=True, stdout=sys.stderr)
        peer_pid = int(open(os.path.join(peer_dir, "weed.pid")).read())
        peer_ep = f"http://127.0.0.1:{PEER_PORT}"
        time.sleep(5)
        if tessera_pid:
            rss["tessera_idle"] = rss_kib(tessera_pid, "VmRSS")
        rss["peer_idle"] = rss_kib(peer_pid, "VmRSS")
        # Memory under load first, while the peaks are the upload's own:
        # 16 clients each uploading one large object.
        upload = "64MiB" if args.quick else UPLOAD_SIZE
        servers = {"tessera": [tessera_pid] if tessera_pid else cluster_pids(cluster_dir),
                   "seaweedfs": [peer_pid]}

        def step(label, name):
            # Data a server left in the page cache unwritten (SeaweedFS does
            # not fsync) is written back first, so that no step pays for the
            # step before it, of either server.
            os.sync()
            # Each server's wait is counted against it.
            for server, pids in servers.items():
                settled[server] = settled.get(server, 0) + settle(pids)
            log(f"bench: {label} on {name} ...")

        for name, ep, pid in (("tessera", tessera_ep, tessera_pid), ("seaweedfs", peer_ep, peer_pid)):
            step(f"16 clients uploading {upload} each", name)
            results[(UPLOAD_LABEL, name)] = bench(ep, AK, SK, "bench-upload", "put", upload, 16, 600, 0, count=16)
            if pid:
                rss[f"{name}_upload_peak"] = rss_kib(pid, "VmHWM")
        for label, workload, size, conc, secs, objects, metric in SUITE:
            if args.quick:
                secs, objects = 3, min(objects, 200)
            for name, ep in (("tessera", tessera_ep), ("seaweedfs", peer_ep)):
                step(label, name)
                bucket = f"bench-{workload}"
                results[(label, name)] = bench(ep, AK, SK, bucket, workload, size, conc, secs, objects)
        if tessera_pid:
            rss["tessera_peak"] = rss_kib(tessera_pid, "VmHWM")
        rss["peer_peak"] = rss_kib(peer_pid, "VmHWM")
    finally:
        subprocess.run([os.path.join(ROOT, "scripts", "bench", "seaweedfs.sh"), "stop", peer_dir],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if args.cluster:
            subprocess.run([os.path.join(ROOT, "scripts", "local-cluster.sh"), "down", cluster_dir],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for p in procs:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        # A run in which Tessera failed requests keeps its log to read.
        failed = any(name == "tessera" and r["total"]["errors"] + r["total"]["corrupt"]
                     for (_, name), r in results.items())
        tessera_log = os.path.join(work, "tessera.log")
        if failed and os.path.exists(tessera_log):
            kept = os.path.join(os.path.dirname(work), "bench-tessera.log")
            shutil.copy(tessera_log, kept)
            log(f"bench: tessera failed requests; its log is kept in {kept}")
        shutil.rmtree(work, ignore_errors=True)
    write(args, results, rss, settled)


def cluster_pids(cluster_dir):
    """The processes of a scripts/local-cluster.sh cluster."""
    pids = []
    for f in sorted(os.listdir(cluster_dir)):
        if f.endswith(".pid"):
            try:
                pids.append(int(open(os.path.join(cluster_dir, f)).read()))
            except (OSError, ValueError):
                pass
    return pids


def fmt(v):
    return "-" if v is None else (f"{v:,.0f}" if v >= 100 else f"{v:,.1f}")


def write(args, results, rss, settled):
    cmd = "make bench" + (" ARGS=--cluster" if args.cluster else "") + (" ARGS=--quick" if args.quick else "")
    what = "a local 3+6+2 process cluster (scripts/local-cluster.sh)" if args.cluster else "`tessera server`"
    lines = [
        f"Run {datetime.date.today().isoformat()} on {machine()}, with `{cmd}`: "
        f"Tessera as {what}, SeaweedFS as one `weed server` with its S3 gateway, "
        "data on the same disk, the same `tessera bench` suite against each, one after the other.",
        "",
        "| test | measure | Tessera | SeaweedFS | Tessera/SeaweedFS | Tessera p50 / p99 ms | SeaweedFS p50 / p99 ms | errors (T/S) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    names = {"ops_per_sec": "ops/s", "mib_per_sec": "MiB/s", "keys_per_sec": "keys/s"}
    rows = [(UPLOAD_LABEL, "mib_per_sec")] + [(r[0], r[6]) for r in SUITE]
    for label, metric in rows:
        t, s = results.get((label, "tessera")), results.get((label, "seaweedfs"))
        if not t or not s:
            continue
        tv, sv = t["total"].get(metric), s["total"].get(metric)
        ratio = f"{tv / sv:.2f}×" if tv and sv else "-"
        lat = lambda r: f"{r['total']['p50_ms']:.1f} / {r['total']['p99_ms']:.1f}"
        err = lambda r: r["total"]["errors"] + r["total"]["corrupt"]
        lines.append(f"| {label} | {names[metric]} | {fmt(tv)} | {fmt(sv)} | {ratio} | {lat(t)} | {lat(s)} | {err(t)} / {err(s)} |")
    mib = lambda k: None if rss.get(k) is None else rss[k] / 1024
    lines += ["", "| memory | Tessera | SeaweedFS |", "|---|---|---|",
              f"| idle RSS after start, MiB | {fmt(mib('tessera_idle'))} | {fmt(mib('peer_idle'))} |",
              f"| peak RSS while 16 clients upload {UPLOAD_SIZE.replace('GiB', ' GiB')} each, MiB | {fmt(mib('tessera_upload_peak'))} | {fmt(mib('seaweedfs_upload_peak'))} |",
              f"| peak RSS over the run, MiB | {fmt(mib('tessera_peak'))} | {fmt(mib('peer_peak'))} |",
              f"| waiting for the server to be idle before each step, s in all | {fmt(settled.get('tessera'))} | {fmt(settled.get('seaweedfs'))} |"]
    block = "\n".join(lines)
    print(block)
    try:
        text = open(args.out).read()
    except OSError:
        text = "# Benchmarks\n\n<!-- bench:begin -->\n<!-- bench:end -->\n"
    begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
    if args.cluster:
        begin, end = "<!-- bench-cluster:begin -->", "<!-- bench-cluster:end -->"
        if begin not in text:
            text += f"\n## Cluster\n\n{begin}\n{end}\n"
    if args.quick:
        return  # a smoke test: not recorded
    i, j = text.find(begin), text.find(end)
    if i < 0 or j < 0:
        text += f"\n{begin}\n{end}\n"
        i, j = text.find(begin), text.find(end)
    text = text[: i + len(begin)] + "\n" + block + "\n" + text[j:]
    with open(args.out, "w") as f:
        f.write(text)
    log(f"bench: results written to {os.path.relpath(args.out, ROOT)}")


if __name__ == "__main__":
    main()
