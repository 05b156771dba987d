"""The compose cluster under test: bringing it up and down through
deploy/compose/cluster.sh, its containers, the faults the tests inject
(docker kill / start, pause / unpause, network disconnect / connect, restart)
and what the admin API says. Every wait has a deadline."""

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_DIR = ROOT / "deploy" / "compose"
COMPOSE_FILE = COMPOSE_DIR / "docker-compose.yml"
CLUSTER_SH = COMPOSE_DIR / "cluster.sh"
REGION = "us-east-1"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

META = ["meta1", "meta2", "meta3"]
STORAGE = [f"storage{i}" for i in range(1, 7)]
GATEWAYS = ["gateway1", "gateway2"]
SERVICES = META + STORAGE + GATEWAYS + ["lb"]


# Where log() writes: conftest.py points it at pytest's terminal, past the
# output capture.
LOG_SINK = None


def log(msg: str) -> None:
    """Progress on the terminal, timestamped."""
    line = f"[{time.strftime('%H:%M:%S')}] {msg}"
    if LOG_SINK is not None:
        LOG_SINK(line)
    else:
        print(line, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd, timeout=60, check=True, env=None) -> subprocess.CompletedProcess:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"{' '.join(map(str, cmd))}: no end within {timeout}s") from e
    if check and out.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    return out


def wait_for(what: str, probe, timeout: float, interval: float = 1.0):
    """Calls probe() until it returns something truthy; fails after timeout
    seconds naming `what` and probe's last answer (or exception)."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            got = probe()
            if got:
                return got
            last = got
        except Exception as e:  # noqa: BLE001 - reported below
            last = f"{type(e).__name__}: {e}"
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}; last: {last}")
        time.sleep(interval)


def compose_base() -> list:
    if run(["docker", "compose", "version"], check=False).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    raise AssertionError("neither 'docker compose' nor docker-compose is installed")


class Cluster:
    """The compose project `project`, published on free loopback ports."""

    def __init__(self, project: str, image: str, lb_image: str):
        self.project = project
        self.access_key = "TKCLUSTERTESTKEY0001"
        self.secret_key = hashlib.sha256(os.urandom(32)).hexdigest()[:40]
        self.ports = {"s3": free_port(), "website": free_port(), "admin": free_port()}
        self.s3_url = f"http://127.0.0.1:{self.ports['s3']}"
        self.admin_url = f"http://127.0.0.1:{self.ports['admin']}"
        self.env = dict(
            os.environ,
            TESSERA_COMPOSE_PROJECT=project,
            TESSERA_IMAGE=image,
            TESSERA_LB_IMAGE=lb_image,
            TESSERA_PUBLISH_ADDR="127.0.0.1",
            TESSERA_S3_PORT=str(self.ports["s3"]),
            TESSERA_WEBSITE_PORT=str(self.ports["website"]),
            TESSERA_ADMIN_PORT=str(self.ports["admin"]),
            TESSERA_ROOT_ACCESS_KEY=self.access_key,
            TESSERA_ROOT_SECRET_KEY=self.secret_key,
        )
        self.compose = compose_base() + ["-p", project, "-f", str(COMPOSE_FILE)]
        self._ids = {}

    # --- lifecycle -----------------------------------------------------------

    def up(self, timeout=240):
        env = dict(self.env, TESSERA_CLUSTER_TIMEOUT=str(timeout - 30))
        out = run(["bash", str(CLUSTER_SH), "up"], timeout=timeout, env=env, check=False)
        if out.returncode != 0:
            raise AssertionError(f"cluster.sh up failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")

    def down(self):
        out = run(["bash", str(CLUSTER_SH), "down"], timeout=180, env=self.env, check=False)
        if out.returncode != 0:
            log(f"cluster.sh down failed:\n{out.stdout}\n{out.stderr}")
        return out.returncode == 0

    def compose_run(self, *args, timeout=120, check=True):
        return run(self.compose + list(args), timeout=timeout, env=self.env, check=check)

    def logs(self, tail=200) -> str:
        out = self.compose_run("logs", "--no-color", f"--tail={tail}", timeout=60, check=False)
        return out.stdout + out.stderr

    # --- containers ----------------------------------------------------------

    def container(self, service: str) -> str:
        """The container id of a service (stable across restarts)."""
        if service not in self._ids:
            cid = self.compose_run("ps", "-q", service).stdout.strip()
            assert cid, f"no container for {service}"
            self._ids[service] = cid
        return self._ids[service]

    def inspect(self, service: str, fmt: str) -> str:
        return run(["docker", "inspect", "-f", fmt, self.container(service)], timeout=30).stdout.strip()

    def state(self, service: str) -> str:
        """running / exited / paused ..., with the health when there is one."""
        return self.inspect(service, "{{.State.Status}}{{if .State.Health}}/{{.State.Health.Status}}{{end}}")

    def docker(self, *args, timeout=60):
        return run(["docker", *args], timeout=timeout)

    def kill(self, service):
        self.docker("kill", self.container(service))

    def start(self, service):
        self.docker("start", self.container(service))

    def pause(self, *services):
        self.docker("pause", *[self.container(s) for s in services])

    def unpause(self, *services):
        self.docker("unpause", *[self.container(s) for s in services])

    def network(self) -> str:
        nets = json.loads(self.inspect("lb", "{{json .NetworkSettings.Networks}}"))
        assert len(nets) == 1, nets
        return next(iter(nets))

    def disconnect(self, service) -> list:
        """Cuts the service off the compose network; returns its DNS aliases
        there (the service name among them), which connect() restores."""
        net = self.network()
        cid = self.container(service)
        nets = json.loads(self.inspect(service, "{{json .NetworkSettings.Networks}}"))
        aliases = [a for a in (nets[net].get("Aliases") or []) if not cid.startswith(a)]
        assert service in aliases, aliases
        self.docker("network", "disconnect", net, cid)
        return aliases

    def connect(self, service, aliases):
        args = ["network", "connect"]
        for a in aliases:
            args += ["--alias", a]
        self.docker(*args, self.network(), self.container(service))

    def restart_all(self, timeout=180):
        self.compose_run("restart", timeout=timeout)

    def exec(self, service, *cmd, timeout=30):
        return run(["docker", "exec", self.container(service), *cmd], timeout=timeout)

    def wait_healthy(self, services=SERVICES, timeout=180):
        """Every container of `services` running and healthy."""
        last = {}

        def healthy():
            nonlocal last
            last = {s: st for s in services if (st := self.state(s)) != "running/healthy"}
            return not last
        try:
            wait_for("every container healthy", healthy, timeout, interval=2)
        except AssertionError as e:
            raise AssertionError(f"{e}; not healthy: {last}") from None

    # --- the load balancer ---------------------------------------------------

    def lb_servers(self) -> dict:
        """HAProxy's view: {(backend, server): status}, from its stats page."""
        script = ('exec 3<>/dev/tcp/127.0.0.1/8404; printf "GET /stats;csv HTTP/1.0\\r\\n\\r\\n" >&3; '
                  'while IFS= read -r l <&3; do echo "$l"; done')
        out = self.exec("lb", "bash", "-c", script).stdout
        servers = {}
        for line in out.splitlines():
            f = line.split(",")
            if len(f) > 17 and f[0] in ("s3", "website", "admin") and f[1] in GATEWAYS:
                servers[(f[0], f[1])] = f[17]
        return servers

    def wait_lb_serves_both(self, timeout=120):
        """Both gateways UP in the s3, website and admin backends."""
        last = {}

        def up():
            nonlocal last
            last = self.lb_servers()
            return len(last) == 6 and all(v == "UP" for v in last.values())
        try:
            wait_for("both gateways in the load balancer's rotation", up, timeout, interval=2)
        except AssertionError as e:
            raise AssertionError(f"{e}; servers: {last}") from None

    # --- S3 and the admin API --------------------------------------------------

    def s3(self):
        """A boto3 client with its default settings, through the load balancer."""
        session = boto3.session.Session(aws_access_key_id=self.access_key,
                                        aws_secret_access_key=self.secret_key, region_name=REGION)
        return session.client("s3", endpoint_url=self.s3_url)

    def cli_env(self, home: Path) -> dict:
        """The AWS CLI's environment: the root key, no user configuration."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID=self.access_key, AWS_SECRET_ACCESS_KEY=self.secret_key,
                   AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE=str(home / "config"),
                   AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials"), HOME=str(home))
        return env

    def admin(self, path: str, timeout=10):
        """GET path on the admin API through the load balancer, signed with
        the root key: (status, parsed JSON body)."""
        url = self.admin_url + path
        req = botocore.awsrequest.AWSRequest(method="GET", url=url,
                                             headers={"x-amz-content-sha256": EMPTY_SHA256})
        creds = botocore.credentials.Credentials(self.access_key, self.secret_key)
        botocore.auth.SigV4Auth(creds, "s3", REGION).add_auth(req)
        r = urllib.request.Request(url, headers=dict(req.headers.items()))
        try:
            with urllib.request.urlopen(r, timeout=timeout) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as e:
            body = e.read()
            try:
                return e.code, json.loads(body)
            except ValueError:
                return e.code, body.decode(errors="replace")

    def cluster_status(self) -> dict:
        status, body = self.admin("/v1/cluster")
        assert status == 200, f"GET /v1/cluster: {status} {body}"
        return body

    def repair_status(self) -> dict:
        """GET /v1/repair of gateway1 (the gateway running the workers),
        asked inside its container: the load balancer sends the admin port
        to gateway2 while gateway1 is out of rotation."""
        out = self.exec("gateway1", "tessera", "admin", "repair", "status", "--json")
        return json.loads(out.stdout)

    def meta_leader(self) -> str:
        """The service name of the metadata leader."""
        s = self.cluster_status()
        assert s.get("leader_id") is not None, s
        host = s["leader_addr"].rsplit(":", 1)[0]
        assert host in META, s
        return host

    def storage_states(self) -> dict:
        """{service: up/down/removed} from GET /v1/cluster."""
        return {n["addr"].rsplit(":", 1)[0]: n["state"] for n in self.cluster_status()["storage"]}
