"""The flags `tessera SUBCOMMAND` accepts, read from the clap definitions in
crates/cli/src/main.rs, so that the deployment files are checked against the
binary's real command line without building it."""

import re
from pathlib import Path

MAIN_RS = Path(__file__).resolve().parents[1] / "crates" / "cli" / "src" / "main.rs"


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
