"""Fixtures of the cluster tests: the compose cluster (up once for the whole
session, always removed at the end, containers, network and volumes) and
the background workload. A failing test gets the cluster's state and the
last 200 log lines of every container in its report."""

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
from harness import Cluster, log, run, wait_for  # noqa: E402
from workload import Workload  # noqa: E402

# boto3 and the AWS CLI at their defaults: nothing from the environment or a
# user's ~/.aws (an AWS_CA_BUNDLE, a profile's retry mode or addressing style).
for _name in [n for n in os.environ if n.startswith("AWS_")]:
    del os.environ[_name]
os.environ["AWS_CONFIG_FILE"] = os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull

PROJECT = os.environ.get("TESSERA_COMPOSE_PROJECT", "tessera-cluster-test")
IMAGE = os.environ.get("TESSERA_IMAGE", "tessera:local")
LB_IMAGE = os.environ.get("TESSERA_LB_IMAGE", "tessera-lb:local")
# TESSERA_CLUSTER_KEEP=1 leaves a failed run's cluster up for a look.
KEEP = os.environ.get("TESSERA_CLUSTER_KEEP") == "1"
BUCKET = "workload"

_state = {"cluster": None, "workload": None, "failed": False}


def dump(cluster, workload) -> str:
    """What a failure report shows: compose's status, the load balancer's
    view, the admin API, the workload's ledger and the containers' logs."""
    parts = []

    def section(title, fn):
        try:
            body = fn()
        except Exception as e:  # noqa: BLE001 - a dump never fails the dump
            body = f"({type(e).__name__}: {e})"
        parts.append(f"--- {title} ---\n{body}")

    section("docker compose ps", lambda: cluster.compose_run("ps", check=False, timeout=60).stdout)
    section("load balancer (backend, server): status", lambda: json.dumps(
        {f"{b}/{s}": v for (b, s), v in cluster.lb_servers().items()}, indent=1))
    section("GET /v1/cluster", lambda: json.dumps(cluster.cluster_status(), indent=1))
    section("GET /v1/repair (gateway1)", lambda: json.dumps(cluster.repair_status(), indent=1))
    if workload:
        led = workload.ledger
        section("workload", lambda: "\n".join([led.summary(), "violations:", *led.violations[:50],
                                                "error samples:", *led.error_samples,
                                                "slow requests:", *led.slow,
                                                "in flight:", *workload.doing(),
                                                "what the tests did:", led.timeline()]))

    def full_logs():
        out = tempfile.mkdtemp(prefix=f"{cluster.project}-logs-")
        path = Path(out) / "compose.log"
        path.write_text(cluster.logs(tail="all"))
        return f"every container's whole log: {path}"
    section("saved", full_logs)
    section("docker compose logs --tail 200", lambda: cluster.logs(200))
    return "\n".join(parts)


def pytest_configure(config):
    def sink(line):
        tr = config.pluginmanager.get_plugin("terminalreporter")
        capman = config.pluginmanager.get_plugin("capturemanager")
        if tr is None or capman is None:
            print(line, file=sys.stderr, flush=True)
            return
        with capman.global_and_fixture_disabled():
            tr.ensure_newline()
            tr.write_line(line)
    harness.LOG_SINK = sink


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        _state["failed"] = True
        if _state["cluster"] is not None and rep.when in ("setup", "call"):
            log(f"{item.name} failed: collecting the cluster's state and logs")
            rep.sections.append(("cluster state and logs", dump(_state["cluster"], _state["workload"])))


def leftovers(project) -> list:
    """Containers, networks and volumes of the compose project still there."""
    label = f"label=com.docker.compose.project={project}"
    found = []
    for kind, cmd in (("container", ["docker", "ps", "-aq", "--filter", label]),
                      ("network", ["docker", "network", "ls", "-q", "--filter", label]),
                      ("volume", ["docker", "volume", "ls", "-q", "--filter", label])):
        found += [f"{kind} {x}" for x in run(cmd, timeout=30).stdout.split()]
    return found


@pytest.fixture(scope="session")
def cluster(request):
    if run(["docker", "info"], check=False, timeout=30).returncode != 0:
        pytest.fail("no Docker engine answers (docker info failed)")
    for image in (IMAGE, LB_IMAGE):
        if run(["docker", "image", "inspect", image], check=False, timeout=30).returncode != 0:
            pytest.fail(f"no image {image}: run make test-cluster (or make image and make lb-image)")
    c = Cluster(PROJECT, IMAGE, LB_IMAGE)
    if leftovers(PROJECT):
        log(f"removing what an earlier run left of the compose project {PROJECT}")
        c.down()

    def finish():
        if KEEP and _state["failed"]:
            log(f"TESSERA_CLUSTER_KEEP=1: the cluster stays up (project {PROJECT}, S3 {c.s3_url}, "
                f"admin {c.admin_url}, root key {c.access_key} / {c.secret_key}); remove it with "
                f"TESSERA_COMPOSE_PROJECT={PROJECT} make cluster-down")
            return
        t = time.monotonic()
        c.down()
        left = leftovers(PROJECT)
        log(f"cluster removed in {time.monotonic() - t:.1f}s" + (f"; LEFT OVER: {left}" if left else ""))
        assert not left, f"cluster.sh down left {left}"

    request.addfinalizer(finish)
    _state["cluster"] = c
    t = time.monotonic()
    log(f"starting the compose cluster (project {PROJECT}, S3 on {c.s3_url})")
    c.up()
    c.wait_healthy(timeout=120)
    c.wait_lb_serves_both(timeout=60)
    log(f"cluster up and healthy in {time.monotonic() - t:.1f}s")
    return c


@pytest.fixture(scope="session")
def workload(cluster, request):
    s3 = cluster.s3()
    wait_for(f"bucket {BUCKET} created", lambda: s3.create_bucket(Bucket=BUCKET), 60)
    w = Workload(cluster, BUCKET)
    _state["workload"] = w

    def finish():
        stuck = w.stop()
        if stuck:
            log(f"workload threads still running at the end: {stuck}")
    request.addfinalizer(finish)
    w.start()
    log("workload started")
    return w
