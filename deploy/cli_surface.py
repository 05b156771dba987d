"""What the tessera binary accepts, read from its sources so that the
deployment files are checked against it without building it: the flags of
`tessera SUBCOMMAND` (the clap definitions in crates/cli/src/main.rs) and
the fields of the TOML configuration (crates/util/src/config.rs, which
rejects unknown fields)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAIN_RS = ROOT / "crates" / "cli" / "src" / "main.rs"
CONFIG_RS = ROOT / "crates" / "util" / "src" / "config.rs"


def _structs(src: str) -> dict:
    """struct name -> its body."""
    return {m.group(1): m.group(2) for m in re.finditer(r"struct (\w+) \{(.*?)\n\}", src, re.S)}


def _flags(name: str, structs: dict) -> set:
    flags = set()
    # An attribute block, then the field it annotates.
    for attrs, field, ty in re.findall(r"((?:\s*#\[[^\]]*\]\s*)+)\s*(\w+): ([\w<>]+),", structs[name]):
        if "command(flatten)" in attrs:
            flags |= _flags(ty, structs)
            continue
        m = re.search(r"#\[arg\(([^\]]*)\)\]", attrs)
        if not m or "long" not in m.group(1):
            continue
        explicit = re.search(r'long\s*=\s*"([^"]+)"', m.group(1))
        flags.add("--" + (explicit.group(1) if explicit else field.replace("_", "-")))
    return flags


def subcommand_flags() -> dict:
    """{"meta": {"--node-id", ...}, "storage": {...}, ...}"""
    src = MAIN_RS.read_text()
    structs = _structs(src)
    enum = re.search(r"enum Command \{(.*?)\n\}", src, re.S).group(1)
    out = {}
    for variant, args in re.findall(r"^\s*(\w+)\((\w+)\),", enum, re.M):
        if args in structs:
            out[variant.lower()] = _flags(args, structs)
    return out


def unknown_flags(argv: list, known: dict) -> list:
    """The --flags of a `tessera SUBCOMMAND ...` command line that SUBCOMMAND lacks."""
    sub = argv[0]
    assert sub in known, f"unknown subcommand {sub!r}"
    used = {a.split("=", 1)[0] for a in argv[1:] if a.startswith("--")}
    return sorted(used - known[sub])


def config_fields() -> dict:
    """{"": top-level fields, "engine": {...}, ...}: every field of the config file."""
    structs = _structs(CONFIG_RS.read_text())
    fields = lambda name: dict(re.findall(r"^\s*pub (\w+): ([\w<>]+),", structs[name], re.M))
    top = fields("Config")
    out = {"": {f for f, ty in top.items() if ty not in structs}}
    for f, ty in top.items():
        if ty in structs:
            out[f] = set(fields(ty))
    return out


def unknown_config_fields(cfg: dict, known: dict) -> list:
    """The fields of a parsed TOML configuration that the binary would reject."""
    bad = []
    for key, value in cfg.items():
        if isinstance(value, dict):
            if key not in known or key == "":
                bad.append(f"[{key}]")
                continue
            bad += [f"{key}.{f}" for f in value if f not in known[key]]
        elif key not in known[""]:
            bad.append(key)
    return bad
