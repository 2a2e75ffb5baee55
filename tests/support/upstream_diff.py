"""``python -m tests.test_upstream_guard --diff``: the upstream diff of each watched
definition that changed, between the version recorded in tests/upstream_fingerprints.json
and the installed one. The recorded versions' wheels are fetched with ``pip download``
(into a temporary directory), so nothing has to be checked out by hand."""

from __future__ import annotations

import difflib
import importlib.util
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from tests.support.upstream import segment


def module_path(module: str) -> str:
    """``engineio.async_socket`` -> ``engineio/async_socket.py`` (or a package's
    ``__init__.py``), as the installed copy is laid out."""
    spec = importlib.util.find_spec(module)
    origin = Path(spec.origin) if spec is not None and spec.origin else None
    base = module.replace(".", "/")
    return f"{base}/__init__.py" if origin and origin.name == "__init__.py" else f"{base}.py"


def _fetch(dist: str, version: str, into: Path) -> zipfile.ZipFile:
    pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
    subprocess.run(
        [*pip, "--only-binary=:all:", "--dest", str(into), f"{dist}=={version}"], check=True
    )
    wheel = next(into.glob(f"{dist.replace('-', '_')}-{version}-*.whl"))
    return zipfile.ZipFile(wheel)


def diffs(changed: dict[str, tuple[str, str, str]]) -> Iterator[str]:
    """Unified diffs for ``changed``: key -> (distribution, recorded version, installed
    version)."""
    with tempfile.TemporaryDirectory(prefix="plenary-upstream-") as tmp:
        wheels: dict[tuple[str, str], zipfile.ZipFile] = {}
        for key, (dist, old, new) in sorted(changed.items()):
            module, _, qualname = key.partition(":")
            if (dist, old) not in wheels:
                wheels[dist, old] = _fetch(dist, old, Path(tmp) / f"{dist}-{old}")
            path = module_path(module)
            try:
                before = segment(wheels[dist, old].read(path).decode(), qualname)
            except KeyError:
                before = ""
            spec = importlib.util.find_spec(module)
            after = segment(Path(spec.origin).read_text(), qualname) if spec and spec.origin else ""
            note = "" if before else f"({qualname} is not in {path} of {dist} {old})\n"
            lines = difflib.unified_diff(
                before.splitlines(keepends=True),
                after.splitlines(keepends=True),
                fromfile=f"{key} ({dist} {old})",
                tofile=f"{key} ({dist} {new})",
            )
            yield note + ("".join(lines) or f"{key}: the same lines in {old} and {new}\n")
