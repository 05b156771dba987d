#!/usr/bin/env python3
"""LIST at scale: a bucket of a million keys.

    scripts/bench/list_million.py --endpoint http://127.0.0.1:9400 [--keys 1000000]

Fills a bucket with `tessera bench list --keep` (zero-byte objects under
tessera-bench/RUN/, RUN unique per run), which also measures listing the
whole bucket with 4 clients, then times with boto3, one request at a time:
the first page of a prefix + delimiter listing at the top (everything rolls
up into one common prefix) and inside the run's prefix (1,000 keys), both
as the server's answer (a presigned request, the body read but not parsed)
and through boto3 (which parses the XML in Python), and a full listing by
one client. Credentials: AWS_ACCESS_KEY_ID /
AWS_SECRET_ACCESS_KEY or Tessera's root key variables. The objects are left
in place (deleting a million keys takes as long as writing them).
"""
import argparse, json, os, statistics, subprocess, sys, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/tessera/target"))
BIN = os.environ.get("TESSERA_BIN", os.path.join(TARGET, "release", "tessera"))


def timed(fn, n):
    ms = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t) * 1000)
    return statistics.median(ms), max(ms)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--bucket", default="list-million")
    ap.add_argument("--keys", type=int, default=1_000_000)
    args = ap.parse_args()
    ak = os.environ.get("AWS_ACCESS_KEY_ID") or os.environ["TESSERA_ROOT_ACCESS_KEY"]
    sk = os.environ.get("AWS_SECRET_ACCESS_KEY") or os.environ["TESSERA_ROOT_SECRET_KEY"]

    t = time.time()
    out = subprocess.run([BIN, "bench", "list", "--endpoint", args.endpoint, "--bucket", args.bucket,
                          "--access-key", ak, "--secret-key", sk, "--objects", str(args.keys),
                          "--size", "0", "-c", "4", "--duration", "30", "--keep", "--json", "--quiet"],
                         capture_output=True, text=True, timeout=7200)
    if out.returncode != 0:
        raise SystemExit(f"list_million: tessera bench failed:\n{out.stderr}")
    full = json.loads(out.stdout)["total"]
    print(f"filled and listed in {time.time() - t:.0f} s: {full['keys_per_sec']:,.0f} keys/s "
          f"with 4 clients (p50 {full['p50_ms']:.1f} ms per page of 1,000)")

    import boto3
    from botocore.config import Config
    s3 = boto3.client("s3", endpoint_url=args.endpoint, aws_access_key_id=ak,
                      aws_secret_access_key=sk, region_name="us-east-1",
                      config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
    top = s3.list_objects_v2(Bucket=args.bucket, Prefix="tessera-bench/", Delimiter="/")
    runs = [p["Prefix"] for p in top.get("CommonPrefixes", [])]
    if not runs:
        raise SystemExit("list_million: no run prefix found")
    run = runs[-1]
    for prefix, what in (("tessera-bench/", f"{len(runs)} common prefixes over {args.keys:,} keys"),
                         (run, "1,000 keys")):
        # The server's answer: a presigned request, the whole body read, not parsed.
        def fetch():
            url = s3.generate_presigned_url("list_objects_v2", Params={
                "Bucket": args.bucket, "Prefix": prefix, "Delimiter": "/"})
            with urllib.request.urlopen(url, timeout=30) as r:
                r.read()
        a50, aworst = timed(fetch, 20)
        p50, worst = timed(lambda: s3.list_objects_v2(Bucket=args.bucket, Prefix=prefix,
                                                      Delimiter="/"), 20)
        print(f"first page, prefix {prefix} + delimiter / ({what}): answered in p50 {a50:.1f} ms, "
              f"max {aworst:.1f} ms; parsed by boto3 in p50 {p50:.1f} ms, max {worst:.1f} ms")
    t, n, token = time.perf_counter(), 0, None
    while True:
        kw = {"ContinuationToken": token} if token else {}
        page = s3.list_objects_v2(Bucket=args.bucket, Prefix=run, **kw)
        n += page.get("KeyCount", 0)
        token = page.get("NextContinuationToken")
        if not token:
            break
    secs = time.perf_counter() - t
    print(f"full listing by one client: {n:,} keys in {secs:.1f} s, {n / secs:,.0f} keys/s")


if __name__ == "__main__":
    sys.exit(main())
