"""Tessera's compose cluster (deploy/compose) under faults, through its load
balancer, while the workload of workload.py runs: the metadata leader
killed, two storage nodes paused, a gateway cut off the network, the whole
cluster restarted. After each fault: the cluster is healthy again, the
workload makes progress, every acknowledged object reads back byte-exact,
and a full repair pass that started after the fault finds every block at
full redundancy. The tests run in this order, on one cluster."""

import filecmp
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness import META, STORAGE, log, wait_for

WRITES = {"put", "multipart", "cli-put"}
MIB = 1024 * 1024


def settle(cluster, workload, healed_at_wall, healed_at):
    """The checks after every fault, from the moment it was healed."""
    t = time.monotonic()
    cluster.wait_healthy(timeout=180)
    cluster.wait_lb_serves_both(timeout=90)
    wait_for("writes acknowledged after the fault",
             lambda: workload.ledger.acks_since(healed_at, WRITES) >= 5, 120)
    log(f"  healthy, both gateways in rotation, writes flowing: {time.monotonic() - t:.1f}s after the heal")
    t1 = time.monotonic()
    problems = workload.verify_all(cluster.s3)
    acked, _, _ = workload.ledger.snapshot()
    log(f"  read back {len(acked)} acknowledged objects in {time.monotonic() - t1:.1f}s: "
        f"{len(problems)} problems")
    assert not problems, "objects that do not read back:\n" + "\n".join(problems[:30])
    assert not workload.ledger.violations, "\n".join(workload.ledger.violations[:30])
    t2 = time.monotonic()
    report = wait_full_redundancy(cluster, healed_at_wall)
    log(f"  full redundancy confirmed by a repair pass {time.monotonic() - t2:.1f}s later "
        f"({report['repair']['blocks_checked']} blocks checked); {workload.ledger.summary()}")


def wait_full_redundancy(cluster, since_wall, timeout=180):
    """Every storage node up, and a full repair pass that started after
    since_wall left no block short, with an empty repair queue."""
    last = {}

    def probe():
        states = cluster.storage_states()
        last["storage"] = states
        if sorted(states) != STORAGE or set(states.values()) != {"up"}:
            return False
        r = cluster.repair_status()
        p = r.get("repair") or {}
        last["repair"] = {k: r.get(k) for k in ("repair_queue_length", "blocks_below_full_redundancy")}
        last["pass"] = p
        started = p.get("finished_at", 0) / 1000 - p.get("seconds", 0)
        return (started > since_wall and p.get("blocks_still_degraded") == 0
                and r.get("blocks_below_full_redundancy") == 0 and r.get("repair_queue_length") == 0) and r
    try:
        return wait_for("a full repair pass finding every block at full redundancy", probe, timeout, interval=3)
    except AssertionError as e:
        raise AssertionError(f"{e}; last seen: {last}") from None


def test_aws_cli_round_trip_100mib(cluster, tmp_path):
    """The AWS CLI at its defaults copies 100 MiB up and down through the
    load balancer (multipart both ways)."""
    aws = [str(Path(sys.executable).parent / "aws"), "--endpoint-url", cluster.s3_url]
    env = cluster.cli_env(tmp_path)
    src, back = tmp_path / "big", tmp_path / "big.back"
    src.write_bytes(os.urandom(100 * MIB))

    def cli(*args):
        out = subprocess.run(aws + list(args), capture_output=True, text=True, env=env, timeout=300)
        assert out.returncode == 0, f"aws {' '.join(args)}: {out.stderr}"
    try:
        cli("s3", "mb", "s3://roundtrip")
        t = time.monotonic()
        cli("s3", "cp", "--no-progress", str(src), "s3://roundtrip/big")
        up = time.monotonic() - t
        t = time.monotonic()
        cli("s3", "cp", "--no-progress", "s3://roundtrip/big", str(back))
        down = time.monotonic() - t
        assert filecmp.cmp(src, back, shallow=False), "the 100 MiB object came back different"
    finally:
        src.unlink(missing_ok=True)
        back.unlink(missing_ok=True)
    log(f"100 MiB through the load balancer: up {up:.1f}s, down {down:.1f}s, identical")
    cli("s3", "rm", "s3://roundtrip/big")
    cli("s3", "rb", "s3://roundtrip")


def test_meta_leader_killed(cluster, workload):
    """docker kill the metadata leader: a new one is elected and writes go
    on; the old one started again rejoins."""
    wait_for("writes acknowledged before the fault", lambda: workload.ledger.acks_since(0, WRITES) >= 5, 60)
    leader = cluster.meta_leader()
    log(f"killing the meta leader {leader}")
    workload.ledger.event(f"docker kill {leader} (the meta leader)")
    cluster.kill(leader)
    t = time.monotonic()
    try:
        new = wait_for("a new meta leader", lambda: (l := cluster.meta_leader()) != leader and l, 60)
        elected = time.monotonic()
        log(f"  new leader {new} after {elected - t:.1f}s")
        wait_for("writes acknowledged under the new leader",
                 lambda: workload.ledger.acks_since(elected, WRITES) >= 5, 90)
        log(f"  writes go on: {workload.ledger.acks_since(elected, WRITES)} in {time.monotonic() - elected:.1f}s")
        time.sleep(5)  # a little longer without it
    finally:
        cluster.start(leader)
        workload.ledger.event(f"docker start {leader}")
    healed, healed_wall = time.monotonic(), time.time()

    def rejoined():
        s = cluster.cluster_status()
        return s.get("leader_id") is not None and sorted(m["addr"].split(":")[0] for m in s["meta"]) == META
    cluster.wait_healthy([leader], timeout=90)
    wait_for("a leader and all three voters", rejoined, 60)
    log(f"  {leader} back ({cluster.meta_leader()} leads)")
    settle(cluster, workload, healed_wall, healed)


def test_two_storage_nodes_paused(cluster, workload):
    """docker pause two of the six storage nodes (the most 4+2 survives):
    writes go on degraded and reads are served from parity; they are
    marked down; unpaused, repair brings every block back to 6 shards."""
    victims = ["storage2", "storage5"]
    log(f"pausing {victims}")
    workload.ledger.event(f"docker pause {' '.join(victims)}")
    cluster.pause(*victims)
    t = time.monotonic()
    try:
        wait_for("writes acknowledged with two storage nodes paused",
                 lambda: workload.ledger.acks_since(t, WRITES) >= 5, 90)
        log(f"  writes go on: {workload.ledger.acks_since(t, WRITES)} in {time.monotonic() - t:.1f}s")
        wait_for("the paused nodes marked down",
                 lambda: all(cluster.storage_states().get(v) == "down" for v in victims), 90, interval=2)
        down = time.monotonic()
        log(f"  marked down after {down - t:.1f}s")
        wait_for("writes acknowledged with the two nodes down",
                 lambda: workload.ledger.acks_since(down, WRITES) >= 5, 90)
    finally:
        cluster.unpause(*victims)
        workload.ledger.event(f"docker unpause {' '.join(victims)}")
    healed, healed_wall = time.monotonic(), time.time()
    wait_for("the nodes up again", lambda: all(cluster.storage_states().get(v) == "up" for v in victims),
             60, interval=2)
    settle(cluster, workload, healed_wall, healed)


def test_gateway_disconnected(cluster, workload):
    """docker network disconnect gateway1 (the one running the workers):
    the load balancer takes it out of rotation and gateway2 serves;
    reconnected, it is back in rotation and its workers resume."""
    gateway = "gateway1"
    log(f"disconnecting {gateway} from the compose network")
    workload.ledger.event(f"docker network disconnect {gateway}")
    aliases = cluster.disconnect(gateway)
    t = time.monotonic()
    try:
        wait_for("the load balancer taking it out of rotation",
                 lambda: cluster.lb_servers().get(("s3", gateway), "").startswith(("DOWN", "MAINT")), 60)
        out = time.monotonic()
        log(f"  out of rotation after {out - t:.1f}s")
        wait_for("writes acknowledged through the other gateway",
                 lambda: workload.ledger.acks_since(out, WRITES) >= 5, 90)
        time.sleep(5)
    finally:
        cluster.connect(gateway, aliases)
        workload.ledger.event(f"docker network connect {gateway}")
    healed, healed_wall = time.monotonic(), time.time()
    settle(cluster, workload, healed_wall, healed)


def test_whole_cluster_restarted(cluster, workload):
    """docker compose restart: every container at once, data kept in the
    volumes; the cluster comes back by itself."""
    log("restarting every container of the cluster")
    t = time.monotonic()
    workload.ledger.event("docker compose restart begins")
    cluster.restart_all(timeout=240)
    workload.ledger.event("docker compose restart done")
    healed, healed_wall = time.monotonic(), time.time()
    log(f"  docker compose restart took {healed - t:.1f}s")
    settle(cluster, workload, healed_wall, healed)


def test_workload_totals(cluster, workload):
    """The workload stops; with the cluster quiet, everything reads back
    once more, and every kind of request was acknowledged many times."""
    t = time.monotonic()
    log(f"stopping the workload; in flight: {workload.doing()}")
    stuck = workload.stop(timeout=240)
    assert not stuck, f"workload threads did not stop within 240s: {stuck}"
    log(f"workload stopped in {time.monotonic() - t:.1f}s")
    t = time.monotonic()
    problems = workload.verify_all(cluster.s3)
    acked, _, _ = workload.ledger.snapshot()
    log(f"read back {len(acked)} acknowledged objects in {time.monotonic() - t:.1f}s: {len(problems)} problems")
    assert not problems, "objects that do not read back:\n" + "\n".join(problems[:30])
    assert not workload.ledger.violations, "\n".join(workload.ledger.violations[:30])
    led = workload.ledger
    with led.lock:
        kinds = {op for _, op in led.acks}
    missing = {"put", "get", "list", "delete", "multipart", "cli-put", "cli-get", "cli-ls", "cli-rm"} - kinds
    assert not missing, f"never acknowledged: {missing}; {led.summary()}"
    log(f"workload: {led.summary()}")
    if led.slow:
        log("  slow requests:\n    " + "\n    ".join(led.slow[:20]))
    if led.error_samples:
        log("  errors seen during the faults (first ones):\n    " + "\n    ".join(led.error_samples[:15]))


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__, "-v"]))
