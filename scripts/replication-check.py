#!/usr/bin/env python3
"""Bucket replication and notifications under load, with the worker killed.

Issue 5's "done when": a bucket replicating to a second cluster receives
every object written during 10,000 mixed PUTs, overwrites and deletes, also
while the worker process is killed and restarted, and the two buckets
compare equal afterwards; a webhook sees exactly the configured events, each
at least once, in per-key order.

    set -a; . A/cluster.env; set +a       # cluster A: scripts/local-cluster.sh,
                                          # started with TESSERA_SEPARATE_WORKER=1
    python3 scripts/replication-check.py A --dest-endpoint http://127.0.0.1:19301 \\
        --dest-access-key AK --dest-secret-key SK

scripts/replication-check.sh runs it end to end, clusters included. Needs
boto3; `tessera` from $TESSERA_BIN (or the PATH) for the admin commands.
Exits 0 when every check passes, 1 otherwise, 2 on a usage error.
"""
import argparse
import concurrent.futures as cf
import hashlib
import http.server
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.parse

import boto3
from botocore.config import Config

MIB = 1024 * 1024
SRC, DST = "src", "backup"
CREATED_PUT = "ObjectCreated:Put"
CREATED_MPU = "ObjectCreated:CompleteMultipartUpload"
REMOVED = "ObjectRemoved:Delete"


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("cluster_dir", help="cluster A's directory (scripts/local-cluster.sh)")
    p.add_argument("--dest-endpoint", required=True, help="cluster B's S3 endpoint")
    p.add_argument("--dest-access-key", required=True)
    p.add_argument("--dest-secret-key", required=True)
    p.add_argument("--ops", type=int, default=10_000)
    p.add_argument("--keys", type=int, default=2_000)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--sample", type=int, default=200, help="objects downloaded from both sides")
    p.add_argument("--timeout", type=float, default=600, help="seconds to wait for the backlogs to drain")
    p.add_argument("--quiet", type=float, default=10, help="seconds without webhook posts that end the wait")
    p.add_argument("--stall", type=float, default=120,
                   help="give up waiting for missing events after this many seconds without webhook posts")
    p.add_argument("--worker", default="worker1", help="the node killed at 30%% and started at 60%%")
    p.add_argument("--seed", type=int, default=int(time.time()))
    return p.parse_args()


# ---------------------------------------------------------------- webhook

class Webhook:
    """Records every JSON document POSTed to it, in arrival order."""

    def __init__(self):
        self.lock = threading.Lock()
        self.posts = []  # (arrival time, document)
        self.bad = []  # bodies that were not JSON
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            # Keep-alive: the notification worker reuses its connections.
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                try:
                    doc = json.loads(body)
                except ValueError:
                    doc = None
                with hook.lock:
                    if doc is None:
                        hook.bad.append(body[:200])
                    else:
                        hook.posts.append((time.time(), doc))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            # The worker posts up to 64 events at once: socketserver's
            # default listen backlog of 5 drops connections, which then
            # time out and are retried with back-off.
            request_queue_size = 1024
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def snapshot(self):
        with self.lock:
            return list(self.posts)

    def last_post(self):
        with self.lock:
            return self.posts[-1][0] if self.posts else 0.0


# ---------------------------------------------------------------- clusters

def s3_client(endpoint, ak, sk):
    cfg = Config(
        region_name="us-east-1",
        # No retries: a PUT retried after a lost answer would announce two
        # events for one operation. Any failed operation fails the run.
        retries={"total_max_attempts": 1},
        read_timeout=300,
        connect_timeout=10,
        max_pool_connections=16,
        s3={"addressing_style": "path"},
    )
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint, aws_access_key_id=ak, aws_secret_access_key=sk, config=cfg
    )


def admin(*args, check=True):
    """Runs `tessera admin ARGS` against cluster A; returns stdout."""
    binary = os.environ.get("TESSERA_BIN") or "tessera"
    env = dict(os.environ)
    env["TESSERA_ADMIN_ENDPOINT"] = os.environ["ADMIN_ENDPOINT"]
    env["TESSERA_ROOT_ACCESS_KEY"] = os.environ["AWS_ACCESS_KEY_ID"]
    env["TESSERA_ROOT_SECRET_KEY"] = os.environ["AWS_SECRET_ACCESS_KEY"]
    r = subprocess.run([binary, "admin", *args], env=env, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"tessera admin {' '.join(args[:2])} failed: {r.stderr.strip()}")
    return r.stdout


def local_cluster(cluster_dir, action, node):
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "local-cluster.sh")
    env = dict(os.environ)
    env["TESSERA_ROOT_ACCESS_KEY"] = os.environ["AWS_ACCESS_KEY_ID"]
    env["TESSERA_ROOT_SECRET_KEY"] = os.environ["AWS_SECRET_ACCESS_KEY"]
    r = subprocess.run([script, action, cluster_dir, node], env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"local-cluster.sh {action} {node}: {r.stderr.strip()}")
    return r.stdout.strip()


def setup(a, b, args, hook):
    b.create_bucket(Bucket=DST)
    a.create_bucket(Bucket=SRC)
    admin("remote", "add", "dr", "--endpoint", args.dest_endpoint, "--access-key",
          args.dest_access_key, "--secret-key", args.dest_secret_key, "--bucket", DST)
    arn = admin("topic", "create", "replication-check", "--webhook", hook.url).strip()
    a.put_bucket_notification_configuration(
        Bucket=SRC,
        NotificationConfiguration={"TopicConfigurations": [{
            "Id": "all-changes", "TopicArn": arn,
            "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
        }]},
    )
    a.put_bucket_replication(
        Bucket=SRC,
        ReplicationConfiguration={
            "Role": "arn:aws:iam::000000000000:role/replication",
            "Rules": [{
                "ID": "everything", "Priority": 1, "Status": "Enabled",
                "Filter": {"Prefix": ""},
                "DeleteMarkerReplication": {"Status": "Enabled"},
                "Destination": {"Bucket": f"arn:aws:s3:::{DST}"},
            }],
        },
    )
    log(f"set up: {SRC} on A -> {DST} on B (remote dr), topic {arn} -> {hook.url}")


# ---------------------------------------------------------------- workload

def key_name(i):
    # Some keys need URL-encoding in the events: spaces, '+', '%', non-ASCII.
    if i % 17 == 0:
        return f"odd names/obj {i:05d}+plus%pct-\u00e9t\u00e9.txt"
    return f"k{i % 64:02d}/obj-{i:05d}"


def body_size(rnd):
    r = rnd.random()
    if r < 0.85:
        return rnd.randint(0, 64 * 1024)
    return rnd.randint(64 * 1024, MIB)


class Workload:
    def __init__(self, clients, args):
        self.clients = clients
        self.args = args
        self.done = 0
        self.done_lock = threading.Lock()
        self.keys = [key_name(i) for i in range(args.keys)]
        # Per key: the events expected, in order, as (eventName, size, etag).
        self.expected = {k: [] for k in self.keys}
        # Per key: the final state, (etag, size, md5) or None.
        self.state = {k: None for k in self.keys}
        self.errors = []
        self.counts = {"put": 0, "overwrite": 0, "multipart": 0, "delete": 0}
        self.bytes = 0

    def run_thread(self, t):
        args = self.args
        rnd = random.Random(args.seed * 1000 + t)
        mine = [k for i, k in enumerate(self.keys) if i % args.threads == t]
        n_ops = args.ops // args.threads + (1 if t < args.ops % args.threads else 0)
        c = self.clients[t]
        counts = dict.fromkeys(self.counts, 0)
        nbytes = 0
        for _ in range(n_ops):
            live = [k for k in mine if self.state[k] is not None]
            try:
                if live and rnd.random() < 0.35:
                    key = rnd.choice(live)
                    c.delete_object(Bucket=SRC, Key=key)
                    self.state[key] = None
                    self.expected[key].append((REMOVED, None, None))
                    counts["delete"] += 1
                else:
                    key = rnd.choice(mine)
                    if self.state[key] is not None:
                        counts["overwrite"] += 1
                    else:
                        counts["put"] += 1
                    if rnd.random() < 0.01:
                        etag, size, md5 = self.multipart(c, key, rnd)
                        event = CREATED_MPU
                        counts["multipart"] += 1
                    else:
                        data = rnd.randbytes(body_size(rnd))
                        etag = c.put_object(Bucket=SRC, Key=key, Body=data)["ETag"].strip('"')
                        size, md5 = len(data), hashlib.md5(data).hexdigest()
                        event = CREATED_PUT
                    nbytes += size
                    self.state[key] = (etag, size, md5)
                    self.expected[key].append((event, size, etag))
            except Exception as e:  # noqa: BLE001 - reported, fails the run
                self.errors.append(f"{key}: {type(e).__name__}: {e}")
                if len(self.errors) > 20:
                    raise
            with self.done_lock:
                self.done += 1
        with self.done_lock:
            for k, v in counts.items():
                self.counts[k] += v
            self.bytes += nbytes

    def multipart(self, c, key, rnd):
        parts = [rnd.randbytes(5 * MIB), rnd.randbytes(5 * MIB), rnd.randbytes(rnd.randint(1, 256 * 1024))]
        up = c.create_multipart_upload(Bucket=SRC, Key=key)["UploadId"]
        done = []
        for n, p in enumerate(parts, 1):
            r = c.upload_part(Bucket=SRC, Key=key, UploadId=up, PartNumber=n, Body=p)
            done.append({"PartNumber": n, "ETag": r["ETag"]})
        r = c.complete_multipart_upload(Bucket=SRC, Key=key, UploadId=up,
                                        MultipartUpload={"Parts": done})
        data = b"".join(parts)
        return r["ETag"].strip('"'), len(data), hashlib.md5(data).hexdigest()


def chaos(work, args, marks):
    """Kills the worker at 30% of the operations, starts it again at 60%."""
    for frac, action in ((0.3, "kill"), (0.6, "start")):
        while work.done < frac * args.ops and not marks.get("finished"):
            time.sleep(0.2)
        if marks.get("finished"):
            marks.setdefault("chaos_errors", []).append(f"{action} skipped: the run ended first")
            return
        try:
            when = (time.time(), work.done)
            out = local_cluster(args.cluster_dir, action, args.worker)
            log(f"{out} at op {when[1]}")
            if not out.startswith("killed" if action == "kill" else "started"):
                raise RuntimeError(f"{action} {args.worker}: {out}")
            marks[action] = when
        except Exception as e:  # noqa: BLE001
            marks.setdefault("chaos_errors", []).append(str(e))


# ---------------------------------------------------------------- checks

def list_all(c, bucket):
    out = {}
    for page in c.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for o in page.get("Contents", []):
            out[o["Key"]] = (o["ETag"].strip('"'), o["Size"])
    return out


def received_by_key(hook):
    """Per key: the object records in arrival order, and the other posts."""
    per_key, other, shapes = {}, [], []
    for t, doc in hook.snapshot():
        recs = doc.get("Records") if isinstance(doc, dict) else None
        if not recs:
            other.append(doc)
            continue
        if len(recs) != 1:
            shapes.append(f"a post with {len(recs)} records")
        for r in recs:
            try:
                o = r["s3"]["object"]
                if r["s3"]["bucket"]["name"] != SRC:
                    shapes.append(f"an event of bucket {r['s3']['bucket']['name']}")
                    continue
                key = urllib.parse.unquote_plus(o["key"])
                per_key.setdefault(key, []).append(
                    (o["sequencer"], r["eventName"], o.get("size"), o.get("eTag"), t))
            except (KeyError, TypeError) as e:
                shapes.append(f"a record without {e}: {json.dumps(r)[:200]}")
    return per_key, other, shapes


def dedup(records):
    seen, out, dups = set(), [], 0
    for rec in records:
        if rec[0] in seen:
            dups += 1
            continue
        seen.add(rec[0])
        out.append(rec)
    return out, dups


def all_events_seen(work, hook):
    per_key, _, _ = received_by_key(hook)
    for k, exp in work.expected.items():
        if len(dedup(per_key.get(k, []))[0]) < len(exp):
            return False
    return True


def wait_drained(work, hook, args):
    """Until replication has no backlog and every expected event arrived,
    then until the webhook is quiet (late duplicates or extra events). Gives
    up at the timeout, or when replication is done but the webhook has been
    silent for --stall seconds (longer than any lease or retry backoff)."""
    start = time.time()
    status = {}
    while time.time() - start < args.timeout:
        try:
            status = json.loads(admin("replication", "status", SRC, "--json"))
        except (RuntimeError, ValueError) as e:
            log(f"replication status: {e}")
            time.sleep(2)
            continue
        repl_done = status["backlog"] == 0
        events_done = all_events_seen(work, hook)
        silent = time.time() - max(hook.last_post(), start)
        if repl_done and events_done and silent >= args.quiet:
            return True, status, time.time() - start
        if repl_done and not events_done and silent >= args.stall:
            return False, status, time.time() - start
        if status["failed"] and status["backlog"] == 0:
            return False, status, time.time() - start
        time.sleep(2)
    return False, status, time.time() - start


def compare_buckets(a, b, work, rnd, args, problems):
    la, lb = list_all(a, SRC), list_all(b, DST)
    want = {k: (v[0], v[1]) for k, v in work.state.items() if v is not None}

    def diff(name, got, exp):
        for k in sorted(set(exp) - set(got))[:10]:
            problems.append(f"{name}: missing {k!r}")
        for k in sorted(set(got) - set(exp))[:10]:
            problems.append(f"{name}: unexpected {k!r}")
        for k in sorted(set(got) & set(exp)):
            if got[k] != exp[k]:
                problems.append(f"{name}: {k!r} is {got[k]}, expected {exp[k]}")
        n = len(set(exp) ^ set(got))
        if n > 20:
            problems.append(f"{name}: {n} keys differ in all")

    diff("A/src vs what was written", la, want)
    diff("B/backup vs A/src", lb, la)

    sample = rnd.sample(sorted(want), min(args.sample, len(want)))
    status_seen = {"src": {}, "backup": {}}
    for k in sample:
        md5s = []
        for c, bucket in ((a, SRC), (b, DST)):
            try:
                r = c.get_object(Bucket=bucket, Key=k)
                md5s.append(hashlib.md5(r["Body"].read()).hexdigest())
            except Exception as e:  # noqa: BLE001 - reported
                md5s.append(f"GET failed: {e}")
                continue
            rs = r.get("ReplicationStatus", "none")
            status_seen[bucket][rs] = status_seen[bucket].get(rs, 0) + 1
        if not md5s[0] == md5s[1] == work.state[k][2]:
            problems.append(f"content of {k!r}: A {md5s[0]}, B {md5s[1]}, written {work.state[k][2]}")
    if set(status_seen["src"]) - {"COMPLETED"}:
        problems.append(f"x-amz-replication-status of the sample on A: {status_seen['src']} (want COMPLETED)")
    if set(status_seen["backup"]) - {"REPLICA"}:
        problems.append(f"x-amz-replication-status of the sample on B: {status_seen['backup']} (want REPLICA)")
    return len(la), sum(v[1] for v in la.values()), len(sample)


def check_events(work, hook, problems):
    per_key, other, shapes = received_by_key(hook)
    problems.extend(f"webhook: {s}" for s in shapes[:10])
    if hook.bad:
        problems.append(f"webhook: {len(hook.bad)} posts that are not JSON, e.g. {hook.bad[0]!r}")
    non_test = [d for d in other if not (isinstance(d, dict) and d.get("Event") == "s3:TestEvent")]
    if non_test:
        problems.append(f"webhook: {len(non_test)} posts that are neither records nor test events: {non_test[0]}")
    for k in sorted(set(per_key) - set(work.expected))[:10]:
        problems.append(f"webhook: events for a key never written: {k!r}")
    dups = events = bad_keys = 0
    for k, exp in sorted(work.expected.items()):
        recs, d = dedup(per_key.get(k, []))
        dups += d
        events += len(exp)
        got = [(r[1], r[2], r[3]) for r in recs]
        seqs = [int(r[0], 16) for r in recs]
        why = None
        if [g[0] for g in got] != [e[0] for e in exp]:
            why = f"events {[g[0] for g in got]}, expected {[e[0] for e in exp]}"
        elif got != exp:
            why = f"sizes/ETags {got}, expected {exp}"
        elif seqs != sorted(seqs) or len(set(seqs)) != len(seqs):
            why = f"sequencers out of order: {[r[0] for r in recs]}"
        elif any(len(r[0]) != 16 for r in recs):
            why = f"sequencers not 16 hex digits: {[r[0] for r in recs]}"
        if why:
            bad_keys += 1
            if bad_keys <= 10:
                problems.append(f"webhook: key {k!r}: {why}")
    if bad_keys > 10:
        problems.append(f"webhook: {bad_keys} keys wrong in all")
    tests = len(other) - len(non_test)
    return events, dups, tests


# ---------------------------------------------------------------- main

def main():
    args = parse_args()
    for var in ("S3_ENDPOINTS", "ADMIN_ENDPOINT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        if not os.environ.get(var):
            sys.exit(f"{var} is not set: source cluster A's cluster.env first (set -a; . DIR/cluster.env)")
    endpoints = os.environ["S3_ENDPOINTS"].split()
    ak, sk = os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]
    rnd = random.Random(args.seed)
    a = s3_client(endpoints[0], ak, sk)
    b = s3_client(args.dest_endpoint, args.dest_access_key, args.dest_secret_key)
    hook = Webhook()
    setup(a, b, args, hook)

    clients = [s3_client(endpoints[t % len(endpoints)], ak, sk) for t in range(args.threads)]
    work = Workload(clients, args)
    marks = {}
    log(f"{args.ops} operations, {args.threads} threads, {args.keys} keys, seed {args.seed}; "
        f"{args.worker} killed at 30%, started at 60%")
    t0 = time.time()
    chaos_thread = threading.Thread(target=chaos, args=(work, args, marks), daemon=True)
    chaos_thread.start()
    with cf.ThreadPoolExecutor(args.threads) as ex:
        futures = [ex.submit(work.run_thread, t) for t in range(args.threads)]
        next_report = t0 + 30
        while not all(f.done() for f in futures):
            time.sleep(0.5)
            if time.time() >= next_report:
                log(f"  {work.done}/{args.ops} operations")
                next_report += 30
        thread_errors = [f.exception() for f in futures if f.exception()]
    marks["finished"] = True
    chaos_thread.join(timeout=60)
    write_secs = time.time() - t0
    log(f"workload done in {write_secs:.1f} s; waiting for replication and notifications (at most {args.timeout:.0f} s)")

    problems = [f"operation failed: {e}" for e in work.errors[:10]]
    if len(work.errors) > 10:
        problems.append(f"{len(work.errors)} operations failed in all")
    problems.extend(f"a workload thread stopped: {e}" for e in thread_errors)
    problems.extend(f"worker chaos: {e}" for e in marks.get("chaos_errors", []))
    for action in ("kill", "start"):
        if action not in marks:
            problems.append(f"the worker was never {'killed' if action == 'kill' else 'restarted'}")

    drained, status, drain_secs = wait_drained(work, hook, args)
    if not drained:
        problems.append(f"not drained after {drain_secs:.0f} s: replication status {json.dumps(status)}; "
                        f"every expected event received: {all_events_seen(work, hook)}")
    if status.get("failed"):
        problems.append(f"replication failures: {status.get('failed')}: {status.get('failures', [])[:5]}")
    failed_events = admin("topic", "failed", "--json", check=False).strip()
    if failed_events not in ("", "[]"):
        problems.append(f"notification events given up on: {failed_events[:500]}")

    objects, nbytes, sampled = compare_buckets(a, b, work, rnd, args, problems)
    events, dups, tests = check_events(work, hook, problems)

    def at(action):
        if action not in marks:
            return "never"
        t, n = marks[action]
        return f"{t - t0:.1f} s (op {n})"

    total = time.time() - t0
    print()
    print("Replication check")
    print(f"  operations:        {work.done} in {write_secs:.1f} s ({work.done / write_secs:.0f}/s), seed {args.seed}")
    print(f"                     {work.counts['put']} new, {work.counts['overwrite']} overwrites "
          f"({work.counts['multipart']} multipart), {work.counts['delete']} deletes, "
          f"{work.bytes / MIB:.1f} MiB written, {len(work.errors)} failed")
    print(f"  worker {args.worker}:     killed at {at('kill')}, started at {at('start')}")
    print(f"  drained:           {'yes' if drained else 'NO'}, {drain_secs:.1f} s after the workload "
          f"(replication backlog {status.get('backlog')}, failed {status.get('failed')})")
    print(f"  buckets:           {objects} objects, {nbytes / MIB:.1f} MiB in A/src; "
          f"{sampled} downloaded from both and compared")
    print(f"  webhook:           {events} events expected, {len(hook.snapshot())} posts received, "
          f"{dups} duplicates, {tests} test events")
    print(f"  total:             {total:.1f} s")
    if problems:
        print(f"  result:            FAILED, {len(problems)} problems:")
        for p in problems[:60]:
            print(f"    - {p}")
        return 1
    print("  result:            PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
