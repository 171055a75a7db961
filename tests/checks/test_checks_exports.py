"""evalkit.checks' public surface: sorted, complete, and importing only what it may."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import evalkit.checks

PACKAGE = Path(evalkit.checks.__file__).parent
ALLOWED = {"evalkit.checks", "evalkit.errors", "evalkit.types", "pydantic", "jsonschema"}


def test_all_is_sorted_and_every_name_exists() -> None:
    names = evalkit.checks.__all__
    assert names == sorted(names, key=lambda n: (not n.isupper(), n))
    assert all(hasattr(evalkit.checks, name) for name in names)


def test_the_package_imports_only_the_stdlib_pydantic_jsonschema_and_errors() -> None:
    """So the lead may place it anywhere in the pipeline without an import cycle."""

    for module in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                allowed = top in sys.stdlib_module_names or top == "__future__"
                allowed = allowed or any(name == a or name.startswith(a + ".") for a in ALLOWED)
                assert allowed, f"{module.name} imports {name}"
