"""The server's dependencies point one way: activity kinds stand side by side on the
stage, the stage on the transport, the transport on the store; the code that overrides
python-socketio's and python-engineio's internals is reached only through the
transport's ``wire`` interface; and there is no import cycle anywhere. Read from the
source (ast), so a lazy import inside a function counts too."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "server"
PACKAGE = "plenary"


def modules() -> dict[str, Path]:
    found = {}
    for path in (ROOT / PACKAGE).rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The plenary modules ``name`` imports (``from a import b`` counts as a.b when b is
    a module, else as a). ``if TYPE_CHECKING:`` imports are left out: they do not run."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            type_only.update(id(n) for n in ast.walk(node))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith(PACKAGE))
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:  # relative: resolve against this module's package
                package = name.split(".")[: -node.level or None]
                if path.name == "__init__.py":
                    package = name.split(".")[: len(name.split(".")) - node.level + 1]
                base = ".".join([*package, node.module])
            if not base.startswith(PACKAGE):
                continue
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in known else base)
    return {m for m in found if m in known and m != name}


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports(name, path, set(found)) for name, path in found.items()}


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """A cycle of ``edges`` (a directed graph), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycles() -> None:
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_cycles_between_layers() -> None:
    """Packages (activities, stage, realtime, store) and top-level modules, as layers:
    what one imports must not import it back, through any path."""
    layers: dict[str, set[str]] = {}
    for module, targets in graph().items():
        layers.setdefault(layer(module), set()).update(
            layer(t) for t in targets if layer(t) != layer(module)
        )
    cycle = find_cycle(layers)
    assert cycle is None, "layers import each other: " + " -> ".join(cycle or [])


def test_the_transport_and_the_stage_name_no_kind() -> None:
    for module, targets in graph().items():
        if layer(module) in ("realtime", "stage", "store"):
            below = {t for t in targets if layer(t) in ("activities",)}
            assert not below, f"{module} imports {sorted(below)}"
        if layer(module) in ("realtime", "store"):
            assert not {t for t in targets if layer(t) == "stage"}, module


def test_kinds_stand_side_by_side() -> None:
    for module, targets in graph().items():
        parts = module.split(".")
        if layer(module) == "activities" and len(parts) > 2:
            kind = parts[2]
            others = {
                t
                for t in targets
                if layer(t) == "activities" and len(t.split(".")) > 2 and t.split(".")[2] != kind
            }
            assert not others, f"{module} imports another kind: {sorted(others)}"


def test_only_the_wire_interface_reaches_the_library_overrides() -> None:
    for module, targets in graph().items():
        if module.startswith("plenary.realtime.wire"):
            continue
        inside = {t for t in targets if t.startswith("plenary.realtime.wire.")}
        assert not inside, f"{module} reaches into {sorted(inside)}: import plenary.realtime.wire"
