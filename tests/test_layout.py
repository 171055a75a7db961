"""The package's shape: imports flow one way down the pipeline, with no cycle; each outside
library is imported in one place; the public API in `evalkit/__init__.py` is what it says.

Imports are read from the source (every `import`, at module level or inside a function),
so an import hidden in a function or behind TYPE_CHECKING counts like any other."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "evalkit"

LEAVES = {"evalkit", "types", "keys", "errors", "redact", "md"}
"""Shared leaves: import nothing of evalkit's but each other. `evalkit` is the package's
own `__init__` (the lazy public API: it imports nothing of evalkit's statically)."""

ALLOWED: dict[str, set[str]] = {
    "config": set(),
    "suites": {"checks"},
    "runfile": set(),
    "endpoints": {"config"},
    "checks": set(),
    "judges": {"config", "endpoints", "checks"},
    "cache": set(),
    "run": {"config", "suites", "endpoints", "checks", "judges", "cache", "runfile"},
    "analysis": {"runfile"},
    "report": {"analysis", "runfile", "suites"},
    "display": {"analysis", "report", "runfile"},
    "cli": {
        "config",
        "suites",
        "endpoints",
        "checks",
        "judges",
        "cache",
        "run",
        "runfile",
        "analysis",
        "report",
        "display",
    },
    "__main__": {"cli"},
}
"""Stage -> the other stages it may import (leaves always allowed). Each stage sits below
the ones that may import it: checks (imports only leaves) -> suites (validates a row's checks
at load) -> endpoints -> judges -> cache (the cache across runs: imports only leaves and
sqlite3; run looks answers and verdicts up in it) -> run -> run file -> analysis -> report
-> display -> cli."""

OUTSIDE = {
    "litellm": {"endpoints"},
    "llama_cpp": {"endpoints.embedded"},
    "datasets": {"suites.rows"},
    "rich": {"display"},
    "msgspec": {"runfile", "analysis.comparison"},
}
"""Outside libraries imported in one place each (a module or a stage); msgspec in two: the
run-file stage decodes with it, and `compare`'s results are its Structs (one per row)."""


def modules() -> dict[str, Path]:
    """Every module of the package, by dotted name."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports_of(name: str, path: Path) -> set[str]:
    """The absolute names a module imports (with `from X import y`, both X and X.y)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def internal_edges() -> dict[str, set[str]]:
    """Module -> the evalkit modules it imports."""
    known = modules()
    edges: dict[str, set[str]] = {}
    for name, path in known.items():
        targets = set()
        for target in imports_of(name, path):
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                targets.add(target)
        edges[name] = targets
    return edges


def stage(module: str) -> str:
    """`evalkit.judges.rubric` -> `judges`; `evalkit` -> `evalkit`."""
    return module.split(".")[1] if "." in module else module


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in edges[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in edges:
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_among_evalkits_modules() -> None:
    assert cycles(internal_edges()) == []


def test_cycle_finder_finds_a_planted_cycle() -> None:
    """The check above cannot pass by finding nothing."""
    planted = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(planted) == [["a", "b", "c"]]


def test_every_stage_is_declared() -> None:
    stages = {stage(m) for m in modules()}
    assert stages <= LEAVES | set(ALLOWED), stages - LEAVES - set(ALLOWED)


def test_imports_flow_down_the_pipeline_only() -> None:
    upward = []
    for module, targets in internal_edges().items():
        here = stage(module)
        for target in targets:
            there = stage(target)
            if there == here or there in LEAVES:
                continue
            if here in LEAVES or there not in ALLOWED.get(here, set()):
                upward.append(f"{module} imports {target}")
    assert upward == []


def test_the_root_module_imports_nothing_of_evalkit_statically() -> None:
    """The public API loads its names lazily: a static import there would load every stage
    for `import evalkit`, and would make every module that imports __version__ a cycle."""
    assert internal_edges()["evalkit"] == set()


@pytest.mark.parametrize("library", sorted(OUTSIDE))
def test_each_outside_library_is_imported_in_one_place(library: str) -> None:
    places = OUTSIDE[library]
    offenders = []
    for name, path in modules().items():
        imported = {i.split(".")[0] for i in imports_of(name, path)}
        short = name.removeprefix("evalkit.")
        if library in imported and not any(
            short == place or short.startswith(place + ".") for place in places
        ):
            offenders.append(name)
    assert offenders == []


def test_public_api_lists_what_it_exports_and_every_name_resolves() -> None:
    import evalkit

    assert len(evalkit.__all__) == len(set(evalkit.__all__))  # ruff (RUF022) keeps it sorted
    assert set(evalkit.__all__) == {"__version__", *evalkit._EXPORTS}
    for name in evalkit.__all__:
        assert getattr(evalkit, name) is not None, name
    for name, module in evalkit._EXPORTS.items():
        assert getattr(evalkit, name).__module__ == module, name
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        evalkit.nothing  # noqa: B018


def test_importing_evalkit_loads_no_stage() -> None:
    """`import evalkit` stays as cheap as before the API: names load on first use."""
    probe = (
        "import sys, evalkit\n"
        "print(sorted(m for m in sys.modules if m.startswith('evalkit.')))\n"
        "evalkit.Task\n"
        "print('evalkit.types' in sys.modules, 'litellm' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    loaded, after = done.stdout.splitlines()
    assert loaded == "[]"
    assert after == "True False"


def test_the_plugin_contract_names_only_the_declared_surface() -> None:
    """What a plugin implements and is given mentions no type outside `evalkit.__all__`."""
    import typing

    import evalkit
    from evalkit.judges.protocol import Judge, JudgeContext

    surface = set(evalkit.__all__) | {"str", "int", "list", "None", "NoneType"}
    named = set()
    for member in ("info", "endpoints", "grade"):
        hints = typing.get_type_hints(getattr(Judge, member))
        for hint in hints.values():
            for arg in (hint, *typing.get_args(hint)):
                named.add(getattr(arg, "__name__", str(arg)))
    for field in JudgeContext.model_fields.values():
        named.add(getattr(field.annotation, "__name__", str(field.annotation)))
    assert named <= surface, named - surface


def test_old_entry_points_still_work() -> None:
    from evalkit.cli import entry, main

    assert callable(entry) and callable(main)
    from evalkit.judges.loading import ENTRY_POINT_GROUP

    assert ENTRY_POINT_GROUP == "evalkit.judges"
