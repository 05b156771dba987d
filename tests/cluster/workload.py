"""The workload the cluster tests run while they inject faults: threads doing
PUT / GET / multipart / LIST / DELETE with boto3, and one doing the same
with the AWS CLI, through the load balancer, each on its own key prefix.

The ledger records what the cluster acknowledged. What must hold, whatever
the faults:
- an acknowledged PUT or multipart upload reads back byte-exact (MD5 and
  size) until its acknowledged DELETE, after which it is gone;
- a successful GET returns exactly the acknowledged bytes;
- a successful LIST shows every acknowledged, undeleted key of its prefix
  (with its size) and no key whose DELETE was acknowledged;
- a write or delete that failed (no acknowledgement) leaves the key either
  absent or whole with one of the bytes it was given, never anything else.
Errors (timeouts, 5xx after the client's own retries) during faults are
counted, not failures: availability is checked by the tests as progress
after each fault."""

import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import botocore.exceptions

MIB = 1024 * 1024
# Object sizes of single PUTs: empty, inline in metadata (up to 4 KiB), one
# erasure block (4 MiB) and around it, several blocks.
PUT_SIZES = [0, 1, 1000, 4096, 4097, 65536, 300_000, MIB, 4 * MIB - 1, 4 * MIB + 1, 9 * MIB]
PUT_WEIGHTS = [1, 2, 3, 2, 2, 3, 3, 3, 1, 1, 1]
# Multipart: parts of 5 MiB (the S3 minimum) and a short last part.
PART = 5 * MIB
CLI_SIZES = [200_000, 17 * MIB]  # the CLI goes multipart at 8 MiB
# A request taking longer than this many seconds is listed in the summary.
SLOW = 20


def stamp(t: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(t)) + f".{int(t * 1000) % 1000:03d}"


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def request_id(e) -> str:
    return e.response.get("ResponseMetadata", {}).get("RequestId", "?")


class Pool:
    """Random bytes to cut objects from (os.urandom for each would cost CPU
    the cluster needs); each object starts with its own key, so no two are
    alike."""

    def __init__(self, size=24 * MIB):
        self.data = os.urandom(size)

    def make(self, key: str, size: int) -> bytes:
        head = (key + "\n").encode()[:size]
        rest = size - len(head)
        off = random.randrange(0, len(self.data) - rest) if rest else 0
        return head + self.data[off:off + rest]


class Ledger:
    """What the cluster acknowledged, and what went wrong, across threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked = {}      # key -> (md5, size)
        self.deleted = set()  # keys whose DELETE was acknowledged
        self.uncertain = {}  # key -> set of md5s it may hold (None: absent)
        self.deleting = set()  # keys whose DELETE is in flight
        self.acks = []       # (monotonic time, op)
        self.acked_at = {}   # key -> wall-clock time of its acknowledgement
        self.events = []     # (wall-clock time, what the tests did)
        self.slow = []       # requests slower than SLOW seconds
        self.errors = Counter()
        self.error_samples = []
        self.violations = []

    def ack(self, op, key=None, digest=None, size=None):
        with self.lock:
            self.acks.append((time.monotonic(), op))
            if key is not None:
                self.acked_at[key] = time.time()
            if op in ("put", "multipart", "cli-put"):
                self.acked[key] = (digest, size)
                self.uncertain.pop(key, None)
            elif op in ("delete", "cli-rm"):
                self.acked.pop(key, None)
                self.uncertain.pop(key, None)
                self.deleted.add(key)

    def fail(self, op, key, err, maybe=None):
        """A request that got no acknowledgement; `maybe`: the states
        (md5s, None for absent) the key may now be in."""
        with self.lock:
            self.errors[op] += 1
            if len(self.error_samples) < 40:
                self.error_samples.append(f"{time.strftime('%H:%M:%S')} {op} {key}: {str(err)[:300]}")
            if maybe is not None:
                was = self.acked.pop(key, None)
                states = self.uncertain.setdefault(key, set())
                states.update(maybe)
                if was:
                    states.add(was[0])

    def event(self, what):
        """Marks what a test does, for the timeline of a failure report."""
        with self.lock:
            self.events.append((time.time(), what))

    def when(self, key) -> str:
        """When key's write (or delete) was acknowledged, and the events
        around it."""
        with self.lock:
            t = self.acked_at.get(key)
            if t is None:
                return "never acknowledged"
            before = [e for e in self.events if e[0] <= t][-1:]
            after = [e for e in self.events if e[0] > t][:1]
        ctx = "; ".join(f"{w} at {stamp(at)}" for at, w in before + after)
        return f"acknowledged at {stamp(t)} ({ctx or 'no fault yet'})"

    def timeline(self) -> str:
        with self.lock:
            return "\n".join(f"{stamp(at)} {w}" for at, w in self.events)

    def violation(self, msg):
        with self.lock:
            self.violations.append(f"{time.strftime('%H:%M:%S')} {msg}")

    def acks_since(self, t, ops=None) -> int:
        with self.lock:
            return sum(1 for when, op in self.acks if when >= t and (ops is None or op in ops))

    def snapshot(self):
        with self.lock:
            return dict(self.acked), set(self.deleted), {k: set(v) for k, v in self.uncertain.items()}

    def summary(self) -> str:
        with self.lock:
            ops = Counter(op for _, op in self.acks)
            return (f"acknowledged: {dict(ops)}; objects held: {len(self.acked)}, deleted: {len(self.deleted)}, "
                    f"uncertain: {len(self.uncertain)}; errors: {dict(self.errors)}; "
                    f"violations: {len(self.violations)}; slower than {SLOW}s: {len(self.slow)}")


class Workload:
    def __init__(self, cluster, bucket, boto_threads=3, cli=True):
        self.cluster = cluster
        self.bucket = bucket
        self.ledger = Ledger()
        self.pool = Pool()
        self.stop_event = threading.Event()
        self.threads = []
        self.current = {}  # thread name -> the request it is in
        self.boto_threads = boto_threads
        self.cli = cli
        self.tmp = Path(tempfile.mkdtemp(prefix="tessera-cluster-workload-"))

    # --- running ---------------------------------------------------------------

    def start(self):
        for i in range(self.boto_threads):
            t = threading.Thread(target=self._guard, args=(self._boto_loop, i), name=f"boto{i}", daemon=True)
            self.threads.append(t)
        if self.cli:
            self.threads.append(threading.Thread(target=self._guard, args=(self._cli_loop, 0), name="cli",
                                                 daemon=True))
        for t in self.threads:
            t.start()

    def stop(self, timeout=240) -> list:
        """Stops the threads; returns what those still running after
        `timeout` seconds are doing."""
        self.stop_event.set()
        deadline = time.monotonic() + timeout
        for t in self.threads:
            t.join(max(0.0, deadline - time.monotonic()))
        with self.ledger.lock:
            stuck = [f"{t.name}: {self.current.get(t.name, '?')}" for t in self.threads if t.is_alive()]
        if not stuck:
            shutil.rmtree(self.tmp, ignore_errors=True)
        return stuck

    def doing(self) -> list:
        """What each thread is doing right now."""
        with self.ledger.lock:
            return [f"{n}: {w}" for n, w in sorted(self.current.items())]

    def _guard(self, loop, i):
        try:
            loop(i)
        except Exception as e:  # noqa: BLE001 - a crashed thread is a test bug, reported
            self.ledger.violation(f"workload thread {threading.current_thread().name} crashed: {e!r}")

    def _pause(self, secs):
        self.stop_event.wait(secs)

    # --- boto3 -----------------------------------------------------------------

    def _timed(self, op, key, fn, *args):
        """Runs one request of the workload, noting what each thread is
        doing and every request slower than SLOW seconds."""
        name = threading.current_thread().name
        start = time.time()
        with self.ledger.lock:
            self.current[name] = f"{op} {key} since {stamp(start)}"
        try:
            fn(*args)
        finally:
            took = time.time() - start
            with self.ledger.lock:
                self.current.pop(name, None)
                if took > SLOW:
                    self.ledger.slow.append(f"{stamp(start)} {name} {op} {key}: {took:.1f}s")

    def _boto_loop(self, i):
        s3 = self.cluster.s3()
        rng = random.Random(i)
        prefix = f"boto{i}/"
        mine = []  # keys of this thread that are (or may be) there
        seq = 0
        ops = ["put", "get", "list", "delete", "multipart"]
        weights = [45, 25, 8, 10, 12]
        while not self.stop_event.is_set():
            op = rng.choices(ops, weights)[0]
            seq += 1
            if op == "put" or (op in ("get", "delete") and not mine):
                key = f"{prefix}{seq:06d}"
                self._timed("put", key, self._put, s3, key, rng.choices(PUT_SIZES, PUT_WEIGHTS)[0])
                mine.append(key)
            elif op == "multipart":
                key = f"{prefix}{seq:06d}-mpu"
                self._timed(op, key, self._multipart, s3, key, rng.randint(2, 3),
                            rng.choice([1, 100_000, 3 * MIB]))
                mine.append(key)
            elif op == "get":
                key = rng.choice(mine)
                self._timed(op, key, self._get, s3, key)
            elif op == "delete":
                key = mine.pop(rng.randrange(len(mine)))
                self._timed(op, key, self._delete, s3, key)
            elif op == "list":
                self._timed(op, prefix, self._list, s3, prefix)
            self._pause(0.05)

    def _put(self, s3, key, size):
        data = self.pool.make(key, size)
        digest = md5(data)
        try:
            s3.put_object(Bucket=self.bucket, Key=key, Body=data)
        except Exception as e:  # noqa: BLE001
            self.ledger.fail("put", key, e, maybe={digest, None})
            return
        self.ledger.ack("put", key, digest, size)

    def _multipart(self, s3, key, parts, last):
        sizes = [PART] * (parts - 1) + [last]
        data = self.pool.make(key, sum(sizes))
        digest = md5(data)
        try:
            up = s3.create_multipart_upload(Bucket=self.bucket, Key=key)["UploadId"]
        except Exception as e:  # noqa: BLE001
            self.ledger.fail("multipart", key, e)
            return
        done, off = [], 0
        try:
            for n, size in enumerate(sizes, 1):
                r = s3.upload_part(Bucket=self.bucket, Key=key, UploadId=up, PartNumber=n,
                                   Body=data[off:off + size])
                done.append({"PartNumber": n, "ETag": r["ETag"]})
                off += size
        except Exception as e:  # noqa: BLE001
            self.ledger.fail("multipart", key, e)
            try:
                s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=up)
            except Exception:  # noqa: BLE001 - the upload stays, harmless
                pass
            return
        try:
            s3.complete_multipart_upload(Bucket=self.bucket, Key=key, UploadId=up,
                                         MultipartUpload={"Parts": done})
        except Exception as e:  # noqa: BLE001
            self.ledger.fail("multipart", key, e, maybe={digest, None})
            return
        self.ledger.ack("multipart", key, digest, len(data))

    def _get(self, s3, key):
        acked, _, uncertain = self._state(key)
        try:
            body = s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except botocore.exceptions.ClientError as e:
            if e.response.get("Error", {}).get("Code") == "NoSuchKey":
                if acked:
                    self.ledger.violation(f"GET {key}: NoSuchKey (request {request_id(e)}), but its write was "
                                          f"{self.ledger.when(key)}")
                elif uncertain is not None and None not in uncertain:
                    self.ledger.violation(f"GET {key}: NoSuchKey, but it may only be {uncertain}")
                return
            self.ledger.fail("get", key, e)
            return
        except Exception as e:  # noqa: BLE001
            self.ledger.fail("get", key, e)
            return
        self._check_body(f"GET {key}", key, body, acked, uncertain)
        self.ledger.ack("get")

    def _check_body(self, what, key, body, acked, uncertain):
        got = md5(body)
        if acked:
            if (got, len(body)) != acked:
                self.ledger.violation(f"{what}: {len(body)} bytes md5 {got}, acknowledged {acked[1]} bytes md5 {acked[0]}")
        elif uncertain is not None:
            if got not in uncertain:
                self.ledger.violation(f"{what}: {len(body)} bytes md5 {got}, none of the writes it was given")
        else:
            self.ledger.violation(f"{what}: returned {len(body)} bytes for a key never written")

    def _delete(self, s3, key):
        acked, _, uncertain = self._state(key)
        maybe = {None} | ({acked[0]} if acked else set()) | (uncertain or set())
        with self.ledger.lock:
            self.ledger.deleting.add(key)
        try:
            s3.delete_object(Bucket=self.bucket, Key=key)
        except Exception as e:  # noqa: BLE001
            self.ledger.fail("delete", key, e, maybe=maybe)
        else:
            self.ledger.ack("delete", key)
        finally:
            with self.ledger.lock:
                self.ledger.deleting.discard(key)

    def _list(self, s3, prefix):
        acked, deleted, uncertain = self.ledger.snapshot()
        listed = {}
        try:
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
                for o in page.get("Contents", []):
                    listed[o["Key"]] = o["Size"]
        except Exception as e:  # noqa: BLE001
            self.ledger.fail("list", prefix, e)
            return
        self._check_listing(prefix, listed, acked, deleted, uncertain)
        self.ledger.ack("list")

    def _check_listing(self, prefix, listed, acked, deleted, uncertain):
        for key, (_, size) in acked.items():
            if key.startswith(prefix):
                if key not in listed:
                    self.ledger.violation(f"LIST {prefix}: acknowledged {key} missing")
                elif listed[key] != size:
                    self.ledger.violation(f"LIST {prefix}: {key} has {listed[key]} bytes, acknowledged {size}")
        for key in listed:
            if key in deleted and key not in uncertain and key not in acked:
                self.ledger.violation(f"LIST {prefix}: {key} listed after its DELETE was acknowledged")

    def _state(self, key):
        """(acknowledged (md5, size) or None, deleted or being deleted,
        the states it may be in or None)."""
        with self.ledger.lock:
            u = self.ledger.uncertain.get(key)
            gone = key in self.ledger.deleted or key in self.ledger.deleting
            return self.ledger.acked.get(key), gone, (set(u) if u is not None else None)

    # --- the AWS CLI -------------------------------------------------------------

    def _aws(self, *args, timeout=300):
        home = self.tmp / "cli-home"
        home.mkdir(exist_ok=True)
        aws = Path(sys.executable).parent / "aws"
        return subprocess.run([str(aws), "--endpoint-url", self.cluster.s3_url, *args], capture_output=True,
                              text=True, timeout=timeout, env=self.cluster.cli_env(home))

    def _cli_loop(self, _):
        rng = random.Random(100)
        mine = []
        seq = 0
        while not self.stop_event.is_set():
            seq += 1
            op = rng.choices(["cp-up", "cp-down", "ls", "rm"], [45, 30, 15, 10])[0]
            if op == "cp-up" or not mine:
                key = f"cli/{seq:06d}"
                self._timed("cli-put", key, self._cli_put, key, rng.choice(CLI_SIZES))
                mine.append(key)
            elif op == "cp-down":
                key = rng.choice(mine)
                self._timed("cli-get", key, self._cli_get, key)
            elif op == "ls":
                self._timed("cli-ls", "cli/", self._cli_ls)
            else:
                key = mine.pop(rng.randrange(len(mine)))
                self._timed("cli-rm", key, self._cli_rm, key)
            self._pause(1.0)

    def _cli_call(self, op, key, *args, maybe=None):
        try:
            out = self._aws(*args)
        except subprocess.TimeoutExpired as e:
            self.ledger.fail(op, key, f"aws {' '.join(args)}: no end within {e.timeout}s", maybe=maybe)
            return None
        if out.returncode != 0:
            self.ledger.fail(op, key, f"aws exited {out.returncode}: {out.stderr.strip()[-300:]}", maybe=maybe)
            return None
        return out

    def _cli_put(self, key, size):
        path = self.tmp / "up"
        data = self.pool.make(key, size)
        path.write_bytes(data)
        digest = md5(data)
        if self._cli_call("cli-put", key, "s3", "cp", "--no-progress", str(path), f"s3://{self.bucket}/{key}",
                          maybe={digest, None}):
            self.ledger.ack("cli-put", key, digest, size)

    def _cli_get(self, key):
        acked, _, uncertain = self._state(key)
        path = self.tmp / "down"
        path.unlink(missing_ok=True)
        out = self._cli_call("cli-get", key, "s3", "cp", "--no-progress", f"s3://{self.bucket}/{key}", str(path))
        if out is None:
            return
        self._check_body(f"aws s3 cp s3://{self.bucket}/{key}", key, path.read_bytes(), acked, uncertain)
        self.ledger.ack("cli-get")

    def _cli_ls(self):
        acked, deleted, uncertain = self.ledger.snapshot()
        out = self._cli_call("cli-ls", "cli/", "s3", "ls", f"s3://{self.bucket}/cli/")
        if out is None:
            return
        listed = {}
        for line in out.stdout.splitlines():
            parts = line.split()
            if len(parts) == 4:  # date time size name
                listed["cli/" + parts[3]] = int(parts[2])
        self._check_listing("cli/", listed, acked, deleted, uncertain)
        self.ledger.ack("cli-ls")

    def _cli_rm(self, key):
        acked, _, uncertain = self._state(key)
        maybe = {None} | ({acked[0]} if acked else set()) | (uncertain or set())
        with self.ledger.lock:
            self.ledger.deleting.add(key)
        try:
            if self._cli_call("cli-rm", key, "s3", "rm", f"s3://{self.bucket}/{key}", maybe=maybe):
                self.ledger.ack("cli-rm", key)
        finally:
            with self.ledger.lock:
                self.ledger.deleting.discard(key)

    # --- checking everything -------------------------------------------------------

    def _second_look(self, s3, key, acked) -> str:
        """After a NoSuchKey for an acknowledged key: is it listed, and does
        it read back a few seconds later (a stale read) or not (lost)?"""
        notes = []
        try:
            page = s3.list_objects_v2(Bucket=self.bucket, Prefix=key)
            notes.append("LIST shows it" if any(o["Key"] == key for o in page.get("Contents", []))
                         else "LIST does not show it")
        except Exception as e:  # noqa: BLE001
            notes.append(f"LIST failed: {e}")
        for wait in (2, 5, 10):
            time.sleep(wait)
            try:
                body = s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            except botocore.exceptions.ClientError as e:
                notes.append(f"+{wait}s: {e.response.get('Error', {}).get('Code')} (request {request_id(e)})")
                continue
            except Exception as e:  # noqa: BLE001
                notes.append(f"+{wait}s: {e!r}")
                continue
            same = (md5(body), len(body)) == acked
            notes.append(f"+{wait}s: readable, {'the acknowledged bytes' if same else 'DIFFERENT bytes'}")
            break
        return ", ".join(notes)

    def verify_all(self, s3_factory, workers=4, timeout=600) -> list:
        """Reads back every object the ledger knows of (while the workload
        may go on: a key a thread deletes meanwhile is skipped). Returns the
        problems found."""
        acked, deleted, uncertain = self.ledger.snapshot()
        problems = []
        lock = threading.Lock()
        local = threading.local()
        deadline = time.monotonic() + timeout

        def client():
            if not hasattr(local, "s3"):
                local.s3 = s3_factory()
            return local.s3

        def check(key):
            if time.monotonic() > deadline:
                return f"{key}: not checked, the verification ran out of time"
            try:
                body = client().get_object(Bucket=self.bucket, Key=key)["Body"].read()
            except botocore.exceptions.ClientError as e:
                code = e.response.get("Error", {}).get("Code")
                if code == "NoSuchKey":
                    now_acked, now_deleted, now_uncertain = self._state(key)
                    if key in deleted or now_deleted:
                        return None
                    if key in acked and now_acked:
                        return (f"{key}: NoSuchKey (request {request_id(e)}), but its write of {acked[key][1]} bytes "
                                f"was {self.ledger.when(key)}; {self._second_look(client(), key, acked[key])}")
                    if key in uncertain and None not in uncertain[key]:
                        return f"{key}: NoSuchKey, but it may only be {uncertain[key]}"
                    return None
                return f"{key}: GET failed: {e}"
            except Exception as e:  # noqa: BLE001
                return f"{key}: GET failed: {e!r}"
            got = (md5(body), len(body))
            if key in acked:
                if got != acked[key]:
                    # Overwritten meanwhile? Keys are never rewritten, so no.
                    return f"{key}: read {got[1]} bytes md5 {got[0]}, acknowledged {acked[key][1]} bytes md5 {acked[key][0]}"
            elif key in uncertain:
                if got[0] not in uncertain[key]:
                    return f"{key}: read {got[1]} bytes md5 {got[0]}, none of the writes it was given"
            elif key in deleted:
                return f"{key}: still readable ({got[1]} bytes) after its DELETE was acknowledged"
            return None

        keys = sorted(set(acked) | set(uncertain) | deleted)
        with ThreadPoolExecutor(workers) as ex:
            for problem in ex.map(check, keys):
                if problem:
                    with lock:
                        problems.append(problem)
        return problems
