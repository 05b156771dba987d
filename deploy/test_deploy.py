"""The compose cluster's files, the Dockerfiles and the images' healthcheck,
checked without the tessera binary: compose's own `config`, the real flags of
crates/cli/src/main.rs, and (where a Docker engine answers) the offline image
builds with a stand-in binary and the load balancer in front of stand-in
gateways. Run by deploy/check.sh."""

import http.server
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import threading
import time
import tomllib
import uuid
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve().parent
COMPOSE = HERE / "compose"
DOCKER = HERE / "docker"
HEALTHCHECK = DOCKER / "healthcheck.sh"
sys.path.insert(0, str(HERE))
import cli_surface  # noqa: E402

FLAGS = cli_surface.subcommand_flags()


def compose_file() -> dict:
    return yaml.safe_load((COMPOSE / "docker-compose.yml").read_text())


def services(prefix: str) -> dict:
    return {k: v for k, v in compose_file()["services"].items() if re.fullmatch(prefix + r"\d+", k)}


def argv(svc: dict) -> list:
    return shlex.split(svc["command"]) if isinstance(svc["command"], str) else svc["command"]


def flag(args: list, name: str) -> str:
    return args[args.index(name) + 1]


def compose_cmd():
    """`docker compose`, else `docker-compose`, else None."""
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def docker_engine() -> bool:
    return bool(shutil.which("docker")) and subprocess.run(["docker", "info"], capture_output=True).returncode == 0


# --- the compose cluster -------------------------------------------------------

def test_compose_cluster_shape():
    meta, storage, gw = services("meta"), services("storage"), services("gateway")
    assert len(meta) == 3 and len(storage) == 6 and len(gw) == 2
    cfg = tomllib.loads((COMPOSE / "tessera.toml").read_text())
    assert not cli_surface.unknown_config_fields(cfg, cli_surface.config_fields())
    assert cfg["engine"]["standard_profile"] == "4+2"
    for p in ("standard_profile", "reduced_redundancy_profile"):
        assert sum(map(int, cfg["engine"][p].split("+"))) <= len(storage)
    every = compose_file()["services"]
    for name, svc in every.items():
        assert svc["restart"] == "unless-stopped", name
        assert "healthcheck" in svc or name == "lb", name


def test_compose_commands_use_real_flags():
    for name, svc in {**services("meta"), **services("storage"), **services("gateway")}.items():
        args = argv(svc)
        assert args[0] == re.sub(r"\d+$", "", name)
        assert not cli_surface.unknown_flags(args, FLAGS), name


def test_compose_meta_peers_and_bootstrap():
    meta = services("meta")
    peer_lists = {name: [a for i, a in enumerate(argv(s)) if argv(s)[i - 1] == "--peer"] for name, s in meta.items()}
    assert len({tuple(p) for p in peer_lists.values()}) == 1, "every meta node has the same peers"
    peers = next(iter(peer_lists.values()))
    for name, svc in meta.items():
        args = argv(svc)
        assert f"{flag(args, '--node-id')}={flag(args, '--advertise')}" in peers
        assert flag(args, "--data-dir") == "/data"
    assert sum("--bootstrap" in argv(s) for s in meta.values()) == 1


def test_compose_storage_volumes_and_zones():
    storage = services("storage")
    zones, volumes = set(), set()
    for name, svc in storage.items():
        args = argv(svc)
        zones.add(flag(args, "--zone"))
        data = [v for v in svc["volumes"] if v.endswith(":/data")]
        assert len(data) == 1, name
        volumes.add(data[0].split(":")[0])
        assert len(flag(args, "--meta").split(",")) == 3
    assert zones == {f"z{i}" for i in range(1, 7)}
    assert len(volumes) == 6 and volumes <= set(compose_file()["volumes"])


def test_compose_gateways_and_load_balancer():
    gw = services("gateway")
    assert sum("--workers" in argv(s) for s in gw.values()) == 1
    for name, svc in gw.items():
        env = svc["environment"]
        assert env["TESSERA_ROOT_ACCESS_KEY"].startswith("${TESSERA_ROOT_ACCESS_KEY:?")
        assert env["TESSERA_ROOT_SECRET_KEY"].startswith("${TESSERA_ROOT_SECRET_KEY:?")
    lb = compose_file()["services"]["lb"]
    # HOST:PORT:PORT, the host port overridable (TESSERA_S3_PORT...), 9000 by default.
    ports = [re.fullmatch(r"\$\{TESSERA_PUBLISH_ADDR:-127\.0\.0\.1\}:\$\{TESSERA_[A-Z0-9]+_PORT:-(\d+)\}:(\d+)", p)
             for p in lb["ports"]]
    assert all(ports), lb["ports"]
    assert all(m.group(1) == m.group(2) for m in ports)
    assert {"9000", "9080", "9100"} <= {m.group(2) for m in ports}
    cfg = (COMPOSE / "haproxy.cfg").read_text()
    for backend, flag_name in (("s3", "--s3-addr"), ("website", "--website-addr")):
        block = cfg.split(f"\nbackend {backend}\n", 1)[1].split("\n\n", 1)[0]
        servers = re.findall(r"server (\S+) (\S+):(\d+)", block)
        assert {s[0] for s in servers} == set(gw), backend
        for name, host, port in servers:
            assert port == flag(argv(gw[name]), flag_name).rsplit(":", 1)[1]
    admin_port = {flag(argv(s), "--admin-addr").rsplit(":", 1)[1] for s in gw.values()}
    assert re.search(r"check port (\d+)", cfg).group(1) in admin_port


def test_compose_config_is_valid():
    cmd = compose_cmd()
    if not cmd:
        pytest.skip("neither 'docker compose' nor docker-compose is installed")
    out = subprocess.run(cmd + ["-f", str(COMPOSE / "docker-compose.yml"), "config"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    resolved = yaml.safe_load(out.stdout)
    env = resolved["services"]["gateway1"]["environment"]
    assert env["TESSERA_ROOT_ACCESS_KEY"] and env["TESSERA_ROOT_SECRET_KEY"]


def test_compose_credentials_from_environment_win_and_are_required(tmp_path):
    cmd = compose_cmd()
    if not cmd:
        pytest.skip("neither 'docker compose' nor docker-compose is installed")
    for f in ("docker-compose.yml", "tessera.toml", "haproxy.cfg"):
        shutil.copy(COMPOSE / f, tmp_path / f)
    base = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    run = lambda env: subprocess.run(cmd + ["-f", str(tmp_path / "docker-compose.yml"), "config"],
                                     capture_output=True, text=True, cwd=tmp_path, env=env)
    missing = run(base)  # no .env beside this copy, nothing in the environment
    assert missing.returncode != 0 and "TESSERA_ROOT_ACCESS_KEY" in missing.stderr
    given = run({**base, "TESSERA_ROOT_ACCESS_KEY": "TKFROMENV", "TESSERA_ROOT_SECRET_KEY": "secret-from-env"})
    assert given.returncode == 0, given.stderr
    assert yaml.safe_load(given.stdout)["services"]["gateway2"]["environment"]["TESSERA_ROOT_ACCESS_KEY"] == "TKFROMENV"


# --- the Dockerfiles -------------------------------------------------------------

RUNTIME_MARK = "# The runtime layers, the same as in"


def runtime_layers(path: Path) -> list:
    return path.read_text().split(RUNTIME_MARK, 1)[1].splitlines()[1:]


def test_both_dockerfiles_have_the_same_runtime_layers():
    full, local = runtime_layers(DOCKER / "Dockerfile"), runtime_layers(DOCKER / "Dockerfile.local")
    assert full == local
    text = "\n".join(full)
    for needed in ("USER tessera", 'ENTRYPOINT ["tessera"]', "HEALTHCHECK", "VOLUME /data", "EXPOSE"):
        assert needed in text
    for port in (7100, 7200, 9000, 9080, 9100):
        assert str(port) in re.search(r"EXPOSE (.*)", text).group(1)
    cmd = re.search(r"^CMD (.*)$", text, re.M).group(1)
    args = yaml.safe_load(cmd)
    assert not cli_surface.unknown_flags(args, FLAGS)


def test_dockerfile_builds_with_the_locked_release_command():
    text = (DOCKER / "Dockerfile").read_text()
    assert "cargo build --release --locked --bin tessera" in text
    assert "libclang-dev" in text and "clang" in text


# --- the healthcheck script ------------------------------------------------------

class _Ready(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/ready" else 404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def http_port():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ready)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def check(*args, pid=None):
    env = dict(os.environ, **({"TESSERA_HEALTH_PID": str(pid)} if pid else {}))
    return subprocess.run(["bash", str(HEALTHCHECK), *args], capture_output=True, text=True, env=env, timeout=20)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_healthcheck_explicit_targets(http_port):
    assert check(f"http://127.0.0.1:{http_port}/ready").returncode == 0
    bad = check(f"http://0.0.0.0:{http_port}/other")
    assert bad.returncode == 1 and "404" in bad.stderr
    assert check(f"tcp://127.0.0.1:{http_port}").returncode == 0
    assert check(f"tcp://127.0.0.1:{closed_port()}").returncode == 1


@pytest.mark.parametrize("role,flags,healthy", [
    ("gateway", ["--admin-addr", "0.0.0.0:{port}"], True),
    ("gateway", ["--admin-addr=127.0.0.1:{closed}"], False),
    ("server", ["--data-dir", "/data", "--admin-addr", "0.0.0.0:{port}"], True),
    ("meta", ["--node-id", "1", "--addr", "0.0.0.0:{port}"], True),
    ("meta", ["--addr", "127.0.0.1:{closed}"], False),
    ("storage", ["--addr=[::]:{port}"], True),
    ("worker", ["--meta", "meta1:7100"], True),
])
def test_healthcheck_follows_the_role_of_the_process(http_port, role, flags, healthy):
    closed = closed_port()
    args = [f.format(port=http_port, closed=closed) for f in flags]
    # A process whose command line reads like `tessera ROLE FLAGS...`.
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", role, *args])
    try:
        time.sleep(0.2)
        assert (check(pid=proc.pid).returncode == 0) == healthy
    finally:
        proc.kill()
        proc.wait()


# --- the offline image builds (a Docker engine is needed) -------------------------

def docker(*args, check=True):
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check)


@pytest.fixture
def docker_names():
    """Unique names for what a test creates, all removed afterwards."""
    if not docker_engine():
        pytest.skip("no Docker engine answers")
    tag = uuid.uuid4().hex[:8]
    made = {"images": [], "containers": [], "networks": []}
    yield tag, made
    for c in made["containers"]:
        docker("rm", "-f", "-v", c, check=False)
    for n in made["networks"]:
        docker("network", "rm", n, check=False)
    for i in made["images"]:
        docker("image", "rm", "-f", i, check=False)


def test_build_local_makes_the_runtime_image(docker_names, tmp_path):
    tag, made = docker_names
    standin = tmp_path / "tessera"
    shutil.copy("/usr/bin/sleep", standin)  # an ELF binary with shared libraries, like tessera
    image = f"tessera-deploy-test-{tag}:local"
    made["images"].append(image)
    subprocess.run(["bash", str(DOCKER / "build-local.sh")], check=True, capture_output=True,
                   env=dict(os.environ, TESSERA_BIN=str(standin), TESSERA_IMAGE=image))
    config = yaml.safe_load(docker("image", "inspect", "-f", "{{json .Config}}", image).stdout)
    assert config["User"] == "tessera" and config["Entrypoint"] == ["tessera"]
    assert config["Healthcheck"]["Test"] == ["CMD", "tessera-healthcheck"]
    assert set(config["Volumes"]) == {"/data"}
    out = docker("run", "--rm", "--entrypoint", "bash", image, "-c",
                 'echo "uid=$UID"; echo x > /data/probe && echo writable; tessera 0 && echo ran;'
                 ' tessera-healthcheck tcp://127.0.0.1:7100 || echo unhealthy').stdout
    assert out.split() == ["uid=10001", "writable", "ran", "unhealthy"]


def test_load_balancer_image_routes_to_ready_gateways(docker_names, tmp_path):
    tag, made = docker_names
    image = f"tessera-lb-deploy-test-{tag}:local"
    made["images"].append(image)
    subprocess.run(["bash", str(DOCKER / "build-lb.sh")], check=True, capture_output=True,
                   env=dict(os.environ, TESSERA_LB_IMAGE=image))
    net = f"tessera-lb-test-{tag}"
    docker("network", "create", net)
    made["networks"].append(net)
    # Stand-in gateways: HAProxy answering like a gateway's S3, website and admin ports.
    fake = tmp_path / "gateway.cfg"
    fake.write_text(
        "defaults\n  mode http\n  timeout connect 2s\n  timeout client 10s\n  timeout server 10s\n"
        "frontend s3\n  bind :9000\n  http-request return status 403 content-type text/plain string s3\n"
        "frontend website\n  bind :9080\n  http-request return status 200 content-type text/plain string website\n"
        "frontend admin\n  bind :9100\n  http-request return status 200 if { path /ready }\n  http-request return status 404\n")
    fake.chmod(0o644)
    for g in ("gateway1", "gateway2"):
        c = f"{g}-{tag}"
        made["containers"].append(c)
        docker("run", "-d", "--name", c, "--network", net, "--network-alias", g,
               "-v", f"{fake}:/usr/local/etc/haproxy/haproxy.cfg:ro", image)
    lb = f"lb-{tag}"
    made["containers"].append(lb)
    docker("run", "-d", "--name", lb, "--network", net, "-p", "127.0.0.1::9000", "-p", "127.0.0.1::9080",
           "-v", f"{COMPOSE / 'haproxy.cfg'}:/usr/local/etc/haproxy/haproxy.cfg:ro", image)
    port = lambda p: docker("port", lb, str(p)).stdout.split(":")[-1].strip()
    deadline = time.time() + 60
    while docker("inspect", "-f", "{{.State.Health.Status}}", lb).stdout.strip() != "healthy":
        assert time.time() < deadline, docker("logs", lb, check=False).stderr
        time.sleep(1)
    s3 = subprocess.run(["curl", "-s", "-w", " %{http_code}", f"http://127.0.0.1:{port(9000)}/"], capture_output=True, text=True).stdout
    web = subprocess.run(["curl", "-s", "-w", " %{http_code}", f"http://127.0.0.1:{port(9080)}/"], capture_output=True, text=True).stdout
    assert s3 == "s3 403" and web == "website 200"
    # Both gateways gone: the load balancer reports itself unhealthy.
    docker("stop", "-t", "1", f"gateway1-{tag}", f"gateway2-{tag}")
    deadline = time.time() + 60
    while docker("inspect", "-f", "{{.State.Health.Status}}", lb).stdout.strip() != "unhealthy":
        assert time.time() < deadline
        time.sleep(1)


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
