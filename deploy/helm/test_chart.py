"""The Helm chart, checked with Helm's own Go SDK (helm-python-sdk) and the
Kubernetes schemas (kubernetes-validate), offline: lint, render with the
defaults and with every values file of tessera/ci/, validate each manifest,
and check what the chart promises. Run by deploy/helm/check.sh."""

import json
import shlex
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import helm_python as helm
import kubernetes_validate
import pytest
import yaml

HERE = Path(__file__).resolve().parent
CHART = HERE / "tessera"
sys.path.insert(0, str(HERE.parent))
import cli_surface  # noqa: E402

RELEASE, NAMESPACE = "demo", "store"
# Oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and the newest schemas.
KUBE_VERSIONS = ["1.25.0", kubernetes_validate.latest_version()]
VALUES_FILES = sorted((CHART / "ci").glob("*.yaml"))
CASES = [("defaults", {})] + [(p.stem, yaml.safe_load(p.read_text())) for p in VALUES_FILES]
FLAGS = cli_surface.subcommand_flags()
CONFIG_FIELDS = cli_surface.config_fields()


def render(values: dict) -> dict:
    """(kind, name) -> manifest, and the NOTES."""
    with helm.Chart.load(str(CHART)) as chart:
        out = chart.render(values, name=RELEASE, namespace=NAMESPACE)
    docs = {}
    for path, text in out.items():
        if path.endswith("NOTES.txt"):
            docs[("NOTES", "")] = text
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                docs[(doc["kind"], doc["metadata"]["name"])] = doc
    return docs


def merged(values: dict) -> dict:
    with helm.Chart.load(str(CHART)) as chart:
        return chart.merge_values(values)


def full(name: str) -> str:
    return f"{RELEASE}-tessera-{name}"


def container(docs: dict, kind: str, name: str) -> dict:
    return docs[(kind, full(name))]["spec"]["template"]["spec"]["containers"][0]


def run_start_script(c: dict, env: dict, data_dir: Path, shell: str) -> list:
    """Runs a container's /bin/sh start script with a stand-in `tessera` that
    prints the arguments it is given; returns them."""
    assert c["command"] == ["/bin/sh", "-ec"]
    script = c["args"][0].replace("/data", str(data_dir))
    with tempfile.TemporaryDirectory() as bindir:
        stub = Path(bindir) / "tessera"
        stub.write_text('#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n')
        stub.chmod(0o755)
        out = subprocess.run([shell, "-ec", script], env={"PATH": f"{bindir}:/usr/bin:/bin", **env},
                             capture_output=True, text=True, check=True).stdout
    return out.splitlines()


def shells() -> list:
    return [s for s in ("dash", "bash") if shutil.which(s)] or ["sh"]


@pytest.mark.parametrize("name,values", CASES, ids=[c[0] for c in CASES])
def test_lint_is_clean(name, values):
    for strict in (False, True):
        report = helm.lint(str(CHART), values, strict=strict, namespace=NAMESPACE)
        errors = [m for m in report["messages"] if m["severity"] >= 2] + report["errors"]
        assert not errors, errors


@pytest.mark.parametrize("name,values", CASES, ids=[c[0] for c in CASES])
def test_every_manifest_validates(name, values):
    docs = render(values)
    kinds = {k for k, _ in docs}
    assert {"StatefulSet", "Deployment", "Service", "ConfigMap", "PodDisruptionBudget"} <= kinds
    for (kind, obj_name), doc in docs.items():
        if kind == "NOTES":
            continue
        for version in KUBE_VERSIONS:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as e:
                path = ".".join(str(p) for p in e.path)
                pytest.fail(f"{kind}/{obj_name} against Kubernetes {version}: {path}: {e.message}")


@pytest.mark.parametrize("name,values", CASES, ids=[c[0] for c in CASES])
def test_meta_statefulset_peers_and_quorum(name, values):
    v, docs = merged(values), render(values)
    n = v["meta"]["replicas"]
    sts = docs[("StatefulSet", full("meta"))]
    assert sts["spec"]["replicas"] == n
    assert sts["spec"]["serviceName"] == full("meta")
    assert sts["spec"]["podManagementPolicy"] == "Parallel"
    assert sts["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] == v["meta"]["persistence"]["size"]
    headless = docs[("Service", full("meta"))]["spec"]
    assert headless["clusterIP"] == "None" and headless["publishNotReadyAddresses"] is True
    # One --peer per replica, ids 1..n, each a pod's name under the headless Service.
    domain = v["clusterDomain"]
    expected = [f"{i + 1}={full('meta')}-{i}.{full('meta')}.{NAMESPACE}.svc.{domain}:7100" for i in range(n)]
    script = container(docs, "StatefulSet", "meta")["args"][0]
    words = shlex.split(script.split("exec tessera meta", 1)[1])
    assert [words[i + 1] for i, w in enumerate(words) if w == "--peer"] == expected
    # A PDB that never lets a drain take the majority.
    pdb = docs[("PodDisruptionBudget", full("meta"))]["spec"]
    assert pdb["minAvailable"] == n // 2 + 1
    assert pdb["minAvailable"] > n / 2


@pytest.mark.parametrize("shell", shells())
@pytest.mark.parametrize("name,values", CASES, ids=[c[0] for c in CASES])
def test_meta_start_script(name, values, shell, tmp_path):
    v, docs = merged(values), render(values)
    n = v["meta"]["replicas"]
    c = container(docs, "StatefulSet", "meta")
    for ordinal in range(n):
        pod = f"{full('meta')}-{ordinal}"
        argv = run_start_script(c, {"POD_NAME": pod}, tmp_path, shell)
        assert argv[0] == "meta" and not cli_surface.unknown_flags(argv, FLAGS)
        assert argv[argv.index("--node-id") + 1] == str(ordinal + 1)
        advertise = argv[argv.index("--advertise") + 1]
        assert advertise == f"{pod}.{full('meta')}.{NAMESPACE}.svc.{v['clusterDomain']}:7100"
        # The advertised address is the one the peers know this node by.
        assert f"{ordinal + 1}={advertise}" in argv
        # Only pod 0 bootstraps, and only on an empty volume.
        assert ("--bootstrap" in argv) == (ordinal == 0)
    (tmp_path / "meta.db").mkdir()
    assert "--bootstrap" not in run_start_script(c, {"POD_NAME": f"{full('meta')}-0"}, tmp_path, shell)


@pytest.mark.parametrize("shell", shells())
@pytest.mark.parametrize("name,values", CASES, ids=[c[0] for c in CASES])
def test_storage_statefulset_and_zones(name, values, shell, tmp_path):
    v, docs = merged(values), render(values)
    n, zones = v["storage"]["replicas"], v["storage"]["zones"]
    sts = docs[("StatefulSet", full("storage"))]
    assert sts["spec"]["replicas"] == n
    claim = sts["spec"]["volumeClaimTemplates"][0]["spec"]
    assert claim["resources"]["requests"]["storage"] == v["storage"]["persistence"]["size"]
    assert claim.get("storageClassName", "") == v["storage"]["persistence"]["storageClass"]
    c = container(docs, "StatefulSet", "storage")
    for ordinal in range(n):
        pod = f"{full('storage')}-{ordinal}"
        for node_zone in ("", "eu-west-1b"):
            argv = run_start_script(c, {"POD_NAME": pod, "NODE_ZONE": node_zone}, tmp_path, shell)
            assert argv[0] == "storage" and not cli_surface.unknown_flags(argv, FLAGS)
            zone = argv[argv.index("--zone") + 1]
            assert zone == (zones[ordinal % len(zones)] if zones else node_zone or pod)
            assert argv[argv.index("--advertise") + 1].startswith(f"{pod}.{full('storage')}.{NAMESPACE}.svc.")
            assert len(argv[argv.index("--meta") + 1].split(",")) == v["meta"]["replicas"]
    # Drains never take more storage nodes than a block can lose.
    parity = min(int(v["erasure"][p].split("+")[1]) for p in ("standard", "reducedRedundancy"))
    assert 1 <= docs[("PodDisruptionBudget", full("storage"))]["spec"]["maxUnavailable"] <= parity


@pytest.mark.parametrize("name,values", CASES, ids=[c[0] for c in CASES])
def test_config_file(name, values):
    v, docs = merged(values), render(values)
    cfg = tomllib.loads(docs[("ConfigMap", full("config"))]["data"]["tessera.toml"])
    assert not cli_surface.unknown_config_fields(cfg, CONFIG_FIELDS)
    assert cfg["engine"]["standard_profile"] == v["erasure"]["standard"]
    assert cfg["engine"]["reduced_redundancy_profile"] == v["erasure"]["reducedRedundancy"]
    assert isinstance(cfg["engine"]["node_timeout_secs"], int)
    for section, fields in v["config"].items():
        if isinstance(fields, dict):
            for field, value in fields.items():
                assert cfg[section][field] == value, (section, field)
        else:
            assert cfg[section] == fields
    assert v["storage"]["replicas"] >= sum(map(int, v["erasure"]["standard"].split("+")))


@pytest.mark.parametrize("name,values", CASES, ids=[c[0] for c in CASES])
def test_gateways_workers_and_services(name, values):
    v, docs = merged(values), render(values)
    gw = docs[("Deployment", full("gateway"))]
    assert gw["spec"]["replicas"] == v["gateway"]["replicas"]
    c = gw["spec"]["template"]["spec"]["containers"][0]
    assert c["args"][0] == "gateway" and not cli_surface.unknown_flags(c["args"], FLAGS)
    assert ("--workers" in c["args"]) == v["gateway"]["workers"]
    # Root credentials from the chart's Secret, or the user's.
    secret = v["rootCredentials"]["existingSecret"] or full("root")
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in c["env"] if "valueFrom" in e}
    assert refs["TESSERA_ROOT_ACCESS_KEY"] == {"name": secret, "key": v["rootCredentials"]["accessKeyKey"]}
    assert refs["TESSERA_ROOT_SECRET_KEY"] == {"name": secret, "key": v["rootCredentials"]["secretKeyKey"]}
    if v["rootCredentials"]["existingSecret"]:
        assert ("Secret", full("root")) not in docs
    else:
        data = docs[("Secret", full("root"))]["data"]
        assert set(data) == {v["rootCredentials"]["accessKeyKey"], v["rootCredentials"]["secretKeyKey"]}
    assert c["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert c["livenessProbe"]["httpGet"]["path"] == "/health"
    assert docs[("Service", full("s3"))]["spec"]["type"] == v["service"]["s3"]["type"]
    assert docs[("Service", full("website"))]["spec"]["type"] == v["service"]["website"]["type"]
    worker = docs.get(("Deployment", full("worker")))
    assert (worker is not None) == v["worker"]["enabled"]
    if worker:
        w = worker["spec"]["template"]["spec"]["containers"][0]
        assert w["args"][0] == "worker" and not cli_surface.unknown_flags(w["args"], FLAGS)
        assert worker["spec"]["replicas"] == v["worker"]["replicas"]


@pytest.mark.parametrize("name,values", CASES, ids=[c[0] for c in CASES])
def test_pods_probes_resources_and_spread(name, values):
    v, docs = merged(values), render(values)
    for kind, comp in [("StatefulSet", "meta"), ("StatefulSet", "storage"), ("Deployment", "gateway"), ("Deployment", "worker")]:
        if (kind, full(comp)) not in docs:
            continue
        pod = docs[(kind, full(comp))]["spec"]["template"]["spec"]
        c = pod["containers"][0]
        assert c.get("resources", {}) == v[comp]["resources"], comp
        assert c["securityContext"]["readOnlyRootFilesystem"] is True
        assert pod["securityContext"]["runAsUser"] == 10001
        if comp != "worker":  # `tessera worker` serves no port
            assert {"startupProbe", "readinessProbe", "livenessProbe"} <= set(c), comp
        spread = pod["topologySpreadConstraints"][0]
        assert spread["topologyKey"] == "topology.kubernetes.io/zone"
        assert spread["labelSelector"]["matchLabels"]["app.kubernetes.io/component"] == comp
        anti = pod["affinity"]["podAntiAffinity"]
        key = "required" if v["spread"]["antiAffinity"] == "hard" else "preferred"
        assert any(k.startswith(key) for k in anti), comp


@pytest.mark.parametrize("name,values", CASES, ids=[c[0] for c in CASES])
def test_notes_tell_how_to_connect(name, values):
    v, notes = merged(values), render(values)[("NOTES", "")]
    assert "aws --endpoint-url $S3_ENDPOINT s3 ls" in notes
    assert f"get secret {v['rootCredentials']['existingSecret'] or full('root')}" in notes
    assert "tessera admin cluster status" in notes


def test_generated_credentials_have_the_documented_shape():
    import base64
    data = render({})[("Secret", full("root"))]["data"]
    ak, sk = (base64.b64decode(data[k]).decode() for k in ("access-key", "secret-key"))
    assert ak.startswith("TK") and len(ak) == 20 and ak.isalnum() and ak.upper() == ak
    assert len(sk) == 40 and sk.isalnum()


@pytest.mark.parametrize("values,message", [
    ({"meta": {"replicas": 4}}, "meta.replicas must be odd"),
    ({"storage": {"replicas": 5}}, "fewer than the 6 shards"),
    ({"erasure": {"standard": "8+4"}}, "fewer than the 12 shards"),
    ({"storage": {"maxUnavailable": 2}}, "storage.maxUnavailable = 2"),
    ({"gateway": {"workers": False}}, "no background workers"),
])
def test_bad_values_are_refused(values, message):
    with pytest.raises(helm.HelmError) as e:
        render(values)
    assert message in str(e.value)


def test_schema_knows_exactly_the_config_fields_of_the_binary():
    schema = json.loads((CHART / "values.schema.json").read_text())["properties"]["config"]["properties"]
    listed = {"": {k for k, v in schema.items() if v.get("type") != "object"}}
    listed.update({k: set(v["properties"]) for k, v in schema.items() if v.get("type") == "object"})
    assert listed == CONFIG_FIELDS


@pytest.mark.parametrize("values,where", [
    ({"erasure": {"standard": "4-2"}}, "/erasure/standard"),
    ({"service": {"s3": {"type": "Ingress"}}}, "/service/s3/type"),
    ({"config": {"engine": {"standard_profile": "4+2"}}}, "/config/engine"),
    ({"storage": {"zones": ["a zone"]}}, "/storage/zones/0"),
    ({"meta": {"replicas": 0}}, "/meta/replicas"),
    ({"config": {"engine": {"node_timeout": 20}}}, "/config/engine"),
    ({"config": {"loglevel": "debug"}}, "/config"),
])
def test_schema_refuses(values, where):
    with pytest.raises(helm.HelmValuesError) as e:
        render(values)
    assert where in str(e.value)


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
