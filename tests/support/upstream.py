"""The machinery of tests/test_upstream_guard.py: what upstream code Plenary depends on
(found from its subclasses, plus a list of what it copies or mirrors), a fingerprint of
each definition's source that ignores comments, blank lines, wrapping and docstrings, and
the comparison with the record in tests/upstream_fingerprints.json."""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import inspect
import io
import json
import pkgutil
import re
import tokenize
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path
from types import FunctionType, ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RECORD = ROOT / "tests" / "upstream_fingerprints.json"
LOCK = ROOT / "requirements.lock"
RECORD_COMMAND = ".venv/bin/python -m tests.test_upstream_guard --record"

#: Top-level module -> the distribution that ships it.
UPSTREAM = {"socketio": "python-socketio", "engineio": "python-engineio", "redis": "redis"}

#: Dunder members that count as members (the others are Python's bookkeeping).
DUNDERS = frozenset({"__init__", "__call__"})


@dataclass
class Watched:
    """One upstream definition and why Plenary depends on it."""

    package: str
    why: set[str] = field(default_factory=set)


# -- discovery ---------------------------------------------------------------------------
def _is_upstream(cls: type) -> bool:
    return cls.__module__.split(".")[0] in UPSTREAM


def _is_plenary(cls: type) -> bool:
    return cls.__module__.split(".")[0] == "plenary"


def _members(cls: type) -> Iterator[str]:
    for name in vars(cls):
        if not (name.startswith("__") and name.endswith("__")) or name in DUNDERS:
            yield name


def _function(obj: Any) -> FunctionType | None:
    if isinstance(obj, staticmethod | classmethod):
        obj = obj.__func__
    if isinstance(obj, property):
        obj = obj.fget
    return obj if isinstance(obj, FunctionType) else None


def plenary_classes() -> list[type]:
    """Every class of the plenary package with an upstream class in its MRO, and the
    connection class that store/packing.py makes for a ``redis://`` URL."""
    import redis.asyncio.connection

    import plenary
    from plenary.store.packing import with_hiredis_packing

    found: dict[str, type] = {}
    for info in pkgutil.walk_packages(plenary.__path__, "plenary."):
        if info.name.endswith(".__main__"):
            continue
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if (
                inspect.isclass(obj)
                and obj.__module__ == module.__name__
                and any(_is_upstream(k) for k in obj.__mro__)
            ):
                found[_label(obj)] = obj
    hiredis = with_hiredis_packing(redis.asyncio.connection.Connection)
    found[_label(hiredis)] = hiredis
    return [found[name] for name in sorted(found)]


def _attribute_uses(function: FunctionType) -> tuple[set[str], set[str]]:
    """Names read through ``self.``/``super().`` in ``function``, and names it assigns
    as ``self.<name>``."""
    try:
        tree = ast.parse(_parsable(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return set(), set()
    used: set[str] = set()
    assigned: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        base = node.value
        on_self = isinstance(base, ast.Name) and base.id == "self"
        on_super = (
            isinstance(base, ast.Call)
            and isinstance(base.func, ast.Name)
            and base.func.id == "super"
        )
        if on_self and isinstance(node.ctx, ast.Store):
            assigned.add(node.attr)
        elif on_self or on_super:
            used.add(node.attr)
    return used, assigned


def private_names(subclass_modules: set[str]) -> dict[str, dict[str, set[str]]]:
    """Attribute names of the form ``_x`` used by the Plenary modules that import an
    upstream package or define a subclass of its classes: for each class, those it uses
    through ``self`` (key ``module:Class``), and under ``""`` those used on other objects;
    each name -> the modules that use it."""
    names: dict[str, dict[str, set[str]]] = {}
    package = ROOT / "server" / "plenary"
    for path in sorted(package.rglob("*.py")):
        module = ".".join(path.relative_to(package.parent).with_suffix("").parts)
        tree = ast.parse(path.read_text())
        imported = {
            (alias.name if isinstance(node, ast.Import) else node.module or "").split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        }
        if module not in subclass_modules and not imported & UPSTREAM.keys():
            continue
        on_self: dict[int, str] = {}  # id of an Attribute node -> its class
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                for inner in ast.walk(node):
                    if (
                        isinstance(inner, ast.Attribute)
                        and isinstance(inner.value, ast.Name)
                        and inner.value.id == "self"
                    ):
                        on_self.setdefault(id(inner), f"{module}:{node.name}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and re.fullmatch(r"_[a-z]\w*", node.attr):
                owner = on_self.get(id(node), "")
                names.setdefault(owner, {}).setdefault(node.attr, set()).add(module)
    return names


def _label(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


Note = Callable[[type, str, str], None]


def _watch_class(cls: type, private: dict[str, dict[str, set[str]]], note: Note) -> None:
    """Note what of the upstream classes in ``cls``'s MRO a Plenary class depends on."""
    upstream = [k for k in cls.__mro__ if _is_upstream(k)]
    plenary = [k for k in cls.__mro__ if _is_plenary(k)]
    label = _label(cls)
    # Plenary's members (its own and those of the Plenary classes it inherits from).
    overrides: dict[str, str] = {}
    declared: set[str] = set()
    used_privately = dict(private.get("", {}))
    for k in plenary:
        for name in _members(k):
            overrides.setdefault(name, f"{_label(k)}.{name}")
        declared.update(inspect.get_annotations(k))
        used_privately.update(private.get(f"{k.__module__}:{k.__qualname__}", {}))
    # Upstream methods that call an override, and those that set each attribute.
    assigners: dict[str, list[tuple[type, str]]] = {}
    for k in upstream:
        for method in _members(k):
            function = _function(vars(k)[method])
            if function is None:
                continue
            used, assigned = _attribute_uses(function)
            for name in assigned:
                assigners.setdefault(name, []).append((k, method))
            calls = sorted(used & overrides.keys())
            if calls:
                note(k, method, f"calls {', '.join(calls)}, overridden by {label}")

    def resolve(name: str, why: str) -> None:
        defined = [k for k in upstream if name in vars(k)]
        if defined:  # the definition Plenary's shadows or uses: the first in the MRO
            note(defined[0], name, why)
            return
        for k, method in assigners.get(name, []):
            note(k, method, f"{why} (sets self.{name})")

    for name, where in overrides.items():
        resolve(name, f"overridden by {where}")
    for name in declared - overrides.keys():
        resolve(name, f"declared as an attribute {label} uses")
    for name, modules in used_privately.items():
        if name not in overrides:
            resolve(name, f"private name used in {', '.join(sorted(modules))}")


def watched(explicit: Iterable[tuple[str, str]]) -> dict[str, Watched]:
    """``module:qualified.name`` of every upstream definition Plenary depends on: found
    from Plenary's subclasses, and ``explicit`` (key, why) pairs."""
    out: dict[str, Watched] = {}

    def note(cls: type, name: str, why: str) -> None:
        key = f"{cls.__module__}:{cls.__qualname__}.{name}"
        out.setdefault(key, Watched(UPSTREAM[cls.__module__.split(".")[0]])).why.add(why)

    classes = plenary_classes()
    private = private_names({cls.__module__ for cls in classes})
    for cls in classes:
        _watch_class(cls, private, note)
    for key, why in explicit:
        out.setdefault(key, Watched(UPSTREAM[key.split(".")[0]])).why.add(why)
    return out


# -- fingerprints --------------------------------------------------------------------------
def _parsable(source: str) -> str:
    """Indented source (a method, a nested class) wrapped so that it parses."""
    return "if 1:\n" + source if source[:1] in (" ", "\t") else source


def _lookup(key: str) -> Any:
    """The object named by ``module:qualified.name``, as the class or module holds it
    (a staticmethod, property or plain value, not a bound method). Raises LookupError."""
    module_name, _, qualname = key.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise LookupError(key) from exc
    for part in qualname.split(".") if qualname else ():
        namespace = vars(obj) if isinstance(obj, ModuleType) or inspect.isclass(obj) else {}
        if part not in namespace:
            raise LookupError(key)
        obj = namespace[part]
    return obj


def source_of(key: str) -> str:
    """The source of what ``key`` names: a function's or class's, a property's
    accessors', or for a plain value the statement that assigns it. Raises LookupError."""
    obj = _lookup(key)
    if isinstance(obj, property):
        return "\n".join(inspect.getsource(f) for f in (obj.fget, obj.fset, obj.fdel) if f)
    function = _function(obj)
    if function is not None or inspect.isclass(obj):
        return inspect.getsource(function or obj)
    # A value: the statement of the class or module body that assigns it.
    module_name, _, qualname = key.partition(":")
    found = segment(inspect.getsource(importlib.import_module(module_name)), qualname)
    if not found:
        raise LookupError(key)
    return found


def _defines(node: ast.stmt, name: str) -> bool:
    if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
        return node.name == name
    if isinstance(node, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
    if isinstance(node, ast.AnnAssign):
        return isinstance(node.target, ast.Name) and node.target.id == name
    return False


def segment(source: str, qualname: str) -> str:
    """The lines of ``source`` that define ``qualname`` (every definition of the last
    name, as a property's getter and setter), or "" if it defines none."""
    body: list[ast.stmt] = ast.parse(source).body
    *owners, name = qualname.split(".")
    for owner in owners:
        classes = [n for n in body if isinstance(n, ast.ClassDef) and n.name == owner]
        if not classes:
            return ""
        body = classes[-1].body
    lines = source.splitlines(keepends=True)
    out = []
    for node in body:
        if _defines(node, name):
            decorators: list[Any] = getattr(node, "decorator_list", [])
            start = min([node.lineno, *(d.lineno for d in decorators)])
            out.append("".join(lines[start - 1 : node.end_lineno]))
    return "".join(out)


def normalised_tokens(source: str) -> list[str]:
    """``source`` as tokens, without comments, blank lines, line breaks inside brackets
    and docstrings: a reformatting or a reworded comment is no change. The same on every
    Python version from 3.11 (3.12 splits f-strings into parts: joined back here)."""
    text = _parsable(source)
    docstrings = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Module):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                docstrings.add((first.lineno, first.col_offset))
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    fstring_start: tuple[int, int] | None = None
    depth = 0
    skip_newline = False
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        kind = tokenize.tok_name[tok.type]
        if kind == "FSTRING_START":  # Python 3.12+
            if depth == 0:
                fstring_start = tok.start
            depth += 1
            continue
        if depth:
            if kind == "FSTRING_END":
                depth -= 1
                if depth == 0 and fstring_start is not None:
                    (srow, scol), (erow, ecol) = fstring_start, tok.end
                    piece = "".join(lines[srow - 1 : erow])
                    end = len(piece) - len(lines[erow - 1]) + ecol
                    out.append("STRING " + piece[scol:end])
            continue
        if kind in ("COMMENT", "NL", "ENCODING", "ENDMARKER"):
            continue
        if kind == "STRING" and tok.start in docstrings:
            skip_newline = True
            continue
        if kind == "NEWLINE" and skip_newline:  # the end of a docstring's line
            skip_newline = False
            continue
        skip_newline = False
        if kind in ("INDENT", "DEDENT", "NEWLINE"):
            out.append(kind)
        else:
            out.append(f"{kind} {tok.string}")
    return out


def fingerprint(source: str) -> str:
    return sha256("\n".join(normalised_tokens(source)).encode()).hexdigest()[:16]


def installed_versions() -> dict[str, str]:
    return {dist: importlib.metadata.version(dist) for dist in sorted(UPSTREAM.values())}


def current(explicit: Iterable[tuple[str, str]]) -> dict[str, dict[str, Any]]:
    """What is installed now: for each watched key, its package, why, and hash (None
    when it no longer exists upstream)."""
    out: dict[str, dict[str, Any]] = {}
    for key, item in sorted(watched(explicit).items()):
        try:
            digest: str | None = fingerprint(source_of(key))
        except (LookupError, OSError, TypeError):
            digest = None
        out[key] = {"package": item.package, "why": sorted(item.why), "sha256": digest}
    return out


# -- checking ------------------------------------------------------------------------------
def compare(
    record: dict[str, Any], now: dict[str, dict[str, Any]], versions: dict[str, str]
) -> list[str]:
    """What differs between ``record`` (the JSON file) and ``now``, one readable line
    per upstream definition."""
    recorded: dict[str, dict[str, Any]] = record.get("code", {})
    problems = []
    for key, item in now.items():
        package = item["package"]
        installed = f"{package} {versions[package]}"
        why = "; ".join(item["why"])
        old = recorded.get(key)
        if old is None:
            state = "has no recorded fingerprint" if item["sha256"] else "does not exist"
            problems.append(f"NEW      {key} ({installed}) {state}; Plenary: {why}")
        elif item["sha256"] is None:
            problems.append(
                f"GONE     {key}: recorded at {old['version']}, missing in {installed};"
                f" Plenary: {why}"
            )
        elif item["sha256"] != old["sha256"]:
            problems.append(
                f"CHANGED  {key}: differs from the code recorded at {old['version']}"
                f" (installed: {installed}); Plenary: {why}"
            )
    for key in sorted(recorded.keys() - now.keys()):
        problems.append(f"UNUSED   {key}: recorded, but Plenary no longer depends on it")
    return problems


def report(problems: list[str]) -> str:
    return (
        "The upstream code that Plenary overrides, copies or relies on by private name "
        "differs from tests/upstream_fingerprints.json:\n  "
        + "\n  ".join(problems)
        + "\n\nCHANGED/GONE: an upgrade changed code Plenary depends on. Do not just "
        "re-record: follow docs/upgrading.md (read the upstream diff of each function "
        "named, between the recorded and the installed version; adapt Plenary; run the "
        "tests and the benchmark), or stay on the locked version (./scripts/dev install)."
        "\nNEW/UNUSED: Plenary's code changed what it overrides or uses (or an upstream "
        "release added a member a Plenary class shadows): review the upstream code named."
        "\nSee each upstream change: .venv/bin/python -m tests.test_upstream_guard --diff"
        f"\nThen record the fingerprints: {RECORD_COMMAND}"
    )


def load_record() -> dict[str, Any]:
    return json.loads(RECORD.read_text())  # type: ignore[no-any-return]


def write_record(now: dict[str, dict[str, Any]], versions: dict[str, str]) -> None:
    code = {
        key: {
            "sha256": item["sha256"],
            "version": f"{item['package']} {versions[item['package']]}",
            "why": item["why"],
        }
        for key, item in now.items()
        if item["sha256"] is not None
    }
    record = {
        "about": (
            "Hashes of the upstream code Plenary overrides, copies or relies on by private "
            "name; checked by tests/test_upstream_guard.py. Do not edit: after a reviewed "
            f"upgrade (docs/upgrading.md), run {RECORD_COMMAND}"
        ),
        "recorded_with": versions,
        "code": code,
    }
    RECORD.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")


def locked_versions() -> dict[str, str]:
    """Name (normalised) -> version, for every ``name==version`` line of the lock."""
    from packaging.utils import canonicalize_name

    pins: dict[str, str] = {}
    for line in LOCK.read_text().splitlines():
        match = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", line)
        if match:
            pins[canonicalize_name(match[1])] = match[2]
    return pins
