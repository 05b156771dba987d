#!/usr/bin/env python3
"""A checksummed workload against a Tessera cluster (scripts/local-cluster.sh).

    set -a; . DIR/cluster.env; set +a
    python3 scripts/cluster-workload.py write   # 1,000 objects, 1 byte to 64 MiB, some multipart
    python3 scripts/cluster-workload.py read    # every object through both gateways, md5 and size checked

Needs boto3. Object sizes and contents are deterministic (seeded), their
MD5s are kept in /tmp/tessera-workload-digests.txt between the two phases.
"""
import boto3, os, sys, hashlib, random, time, concurrent.futures as cf
from boto3.s3.transfer import TransferConfig
eps = os.environ["S3_ENDPOINTS"].split()
def mk(ep):
    return boto3.client("s3", endpoint_url=ep, region_name="us-east-1")
a, b = mk(eps[0]), mk(eps[1])
phase = sys.argv[1]
random.seed(7)
sizes = []
for i in range(1000):
    r = random.random()
    if r < 0.70: n = random.randint(1, 64 * 1024)
    elif r < 0.95: n = random.randint(64 * 1024, 4 * 1024 * 1024)
    elif r < 0.99: n = random.randint(4 * 1024 * 1024, 16 * 1024 * 1024)
    else: n = random.randint(16 * 1024 * 1024, 64 * 1024 * 1024)
    sizes.append(n)
sizes[0] = 1; sizes[1] = 64 * 1024 * 1024
def body(i):
    rnd = random.Random(i)
    return rnd.randbytes(sizes[i])
cfg = TransferConfig(multipart_threshold=8 * 1024 * 1024, multipart_chunksize=8 * 1024 * 1024)
if phase == "write":
    try: a.create_bucket(Bucket="done")
    except Exception: pass
    t = time.time()
    def put(i):
        import io
        data = body(i)
        a.upload_fileobj(io.BytesIO(data), "done", f"obj/{i:04}", Config=cfg)
        return hashlib.md5(data).hexdigest()
    with cf.ThreadPoolExecutor(8) as ex:
        digests = list(ex.map(put, range(1000)))
    open("/tmp/tessera-workload-digests.txt", "w").write("\n".join(digests))
    print(f"wrote 1000 objects, {sum(sizes)/2**20:.0f} MiB, multipart: {sum(1 for s in sizes if s >= 8*2**20)}, in {time.time()-t:.1f}s")
else:
    digests = open("/tmp/tessera-workload-digests.txt").read().split("\n")
    bad = 0; t = time.time()
    def check(args):
        c, i = args
        data = c.get_object(Bucket="done", Key=f"obj/{i:04}")["Body"].read()
        return hashlib.md5(data).hexdigest() == digests[i] and len(data) == sizes[i]
    with cf.ThreadPoolExecutor(8) as ex:
        for ok in ex.map(check, [(c, i) for c in (a, b) for i in range(1000)]):
            bad += (not ok)
    print(f"read 2x1000 objects through both gateways in {time.time()-t:.1f}s: {bad} mismatches")
