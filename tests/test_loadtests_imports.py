"""The load tests' module structure: no import cycle (lazy imports inside functions count
too), the users and scenarios go over the kinds' registry instead of naming a kind, and a
kind joins by adding its module.

Mostly static checks of the source with ``ast``; one subprocess imports the catalog.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOADTESTS = ROOT / "loadtests"
#: loadtests/catalog.py imports every module of loadtests/kinds/ with importlib (found on
#: disk): edges the source does not spell out, added by hand.
DISCOVERING = {"loadtests.catalog": "loadtests.kinds"}
#: modules that must not name a kind (a kind adds its load test with its own module): the
#: users, what they stand on, and the scenario shapes
KIND_FREE = (
    "loadtests/connection.py",
    "loadtests/attendee.py",
    "loadtests/presenter.py",
    "loadtests/scenarios.py",
)


def module_names(package: Path) -> dict[str, Path]:
    """Dotted name -> file, for every module of ``package`` (packages by ``__init__``)."""
    out = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of ``known`` that ``name`` imports anywhere in its source (at the top,
    in functions, under ``if``): ``from a import b`` is ``a.b`` when that is a module."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            # `import a.b.c` needs a.b.c; the nearest known module is what it loads.
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph(package: Path) -> dict[str, set[str]]:
    modules = module_names(package)
    known = set(modules)
    graph = {name: imports_of(name, path, known) for name, path in modules.items()}
    for importer, discovered in DISCOVERING.items():
        if importer in graph:
            graph[importer] |= {m for m in known if m.startswith(discovered + ".")}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component with more than one module (Tarjan), each as a
    readable cycle, plus modules that import themselves."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_loadtests_import_graph_is_acyclic() -> None:
    graph = import_graph(LOADTESTS)
    # The graph is the real one: the modules the runner and the users stand on are in it.
    assert "loadtests.common" in graph["loadtests.run"]
    assert "loadtests.common" in graph["loadtests.sweep"]
    assert "loadtests.sweep" in graph["loadtests.run"]  # the lazy import for --sweep
    assert "loadtests.kinds.poll" in graph["loadtests.catalog"]
    assert cycles(graph) == [], f"import cycles in loadtests: {cycles(graph)}"


def test_the_check_sees_lazy_and_relative_cycles(tmp_path: Path) -> None:
    """The checker itself finds what it must (like the old run.py <-> sweep.py cycle,
    where one side imported the other inside a function)."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "run.py").write_text("def main():\n    from pkg import sweep\n")
    (pkg / "sweep.py").write_text("from pkg.run import ROOT\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "a.py").write_text("from . import b\n")
    (pkg / "sub" / "b.py").write_text("from ..sub.a import x\nimport pkg.run\n")
    graph = import_graph(pkg)
    assert graph["pkg.sub.b"] == {"pkg.sub.a", "pkg.run"}
    assert cycles(graph) == [["pkg.run", "pkg.sweep"], ["pkg.sub.a", "pkg.sub.b"]]


def code_names(tree: ast.AST) -> Iterator[str]:
    """Identifiers and string constants of the code, docstrings left out."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings:
                yield node.value
        elif isinstance(node, ast.Name):
            yield node.id
        elif isinstance(node, ast.Attribute):
            yield node.attr
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield node.name
        elif isinstance(node, ast.arg):
            yield node.arg
        elif isinstance(node, ast.alias):
            yield node.asname or node.name


def user_modules() -> list[str]:
    """The modules of ``loadtests/`` that define a Locust user (a class based on ``User``
    or ``PlenaryUser``), as paths from the repository root."""
    found = []
    for path in sorted(LOADTESTS.glob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        bases = {
            base.id if isinstance(base, ast.Name) else getattr(base, "attr", "")
            for node in ast.walk(tree)
            if isinstance(node, ast.ClassDef)
            for base in node.bases
        }
        if bases & {"User", "PlenaryUser"}:
            found.append(path.relative_to(ROOT).as_posix())
    return found


def test_users_and_scenarios_name_no_kind() -> None:
    # Every module with a user is held to it, wherever the users move.
    assert {"loadtests/attendee.py", "loadtests/presenter.py"} <= set(user_modules())
    assert set(user_modules()) <= set(KIND_FREE)
    kinds = sorted(p.stem for p in (LOADTESTS / "kinds").glob("*.py") if p.stem != "__init__")
    assert "poll" in kinds
    pattern = re.compile("|".join(re.escape(k) for k in kinds), re.IGNORECASE)
    for relative in KIND_FREE:
        tree = ast.parse((ROOT / relative).read_text())
        named = sorted({n for n in code_names(tree) if pattern.search(n)})
        assert named == [], f"{relative} names a kind ({', '.join(kinds)}): {named}"
    # ... and the check can fail: the old users.py named polls.
    old = "from loadtests.scenarios import PollSpec\nif t == 'poll':\n    pass\n"
    assert sorted({n for n in code_names(ast.parse(old)) if pattern.search(n)}) == [
        "PollSpec",
        "poll",
    ]


SAMPLE_KIND = """
from loadtests import kinds, scenarios
from loadtests.kinds.poll import POLL
from dataclasses import dataclass, replace

@dataclass(frozen=True)
class SampleSpec:
    question: str

    @property
    def type(self) -> str:
        return "sample"

kinds.register(replace(POLL, type="sample", key="sample", export_key="samples"))
scenarios.register(scenarios.LiveRounds(name="sample_round", activities=(SampleSpec("?"),)))
"""


def test_a_kind_joins_by_adding_its_module(tmp_path: Path) -> None:
    """The catalog finds every module of loadtests/kinds/ (here one more, a stand-in
    module put on the package's path), and the runner's scenario list follows."""
    (tmp_path / "sample.py").write_text(SAMPLE_KIND)
    script = (
        "import sys; import loadtests.kinds as k; k.__path__.append(sys.argv[1]); "
        "from loadtests import catalog, run; "
        "print(sorted(x.type for x in catalog.all_kinds())); "
        "print(list(catalog.all_scenarios())[-2:]); "
        "print(run.parser().parse_args(['--scenario', 'sample_round']).scenario)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    on_disk = sorted(p.stem for p in (LOADTESTS / "kinds").glob("*.py") if p.stem != "__init__")
    kinds_line, scenarios_line, chosen = proc.stdout.splitlines()
    assert kinds_line == str(sorted([*on_disk, "sample"]))
    assert scenarios_line.endswith(", 'sample_round']")  # registered last
    assert chosen == "sample_round"
