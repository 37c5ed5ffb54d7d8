"""The house rules of docs/ARCHITECTURE.md, checked on the source: imports point down, no
import circles, no module over 300 lines, and only scan/ and reclaim/ (and the faces and the
simulator) talk to AWS."""

from __future__ import annotations

import ast
from pathlib import Path

import cost_watcher

PACKAGE = Path(cost_watcher.__file__).parent
FLOORS = {"": 0, "judge": 1, "scan": 2, "reclaim": 3, "report": 4, "engine": 5, "organization": 6, "sim": 7,
          "faces": 8}
MAX_LINES = 300


def modules() -> dict[str, Path]:
    return {".".join(path.relative_to(PACKAGE).with_suffix("").parts): path
            for path in PACKAGE.rglob("*.py") if path.name != "__init__.py"}


def folder(module: str) -> str:
    return module.split(".")[0] if "." in module else ("engine" if module == "engine" else "")


def imports(path: Path) -> set[str]:
    """Modules of the package imported by the file (lazy imports inside functions included)."""
    found: set[str] = set()
    known = modules()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cost_watcher"):
            base = node.module.removeprefix("cost_watcher").lstrip(".")
            for alias in node.names:
                full = f"{base}.{alias.name}".lstrip(".")
                found.add(full if full in known else base)
    return {name for name in found if name}


def test_imports_point_down_only():
    wrong = []
    for name, path in modules().items():
        for target in imports(path):
            if folder(target) != folder(name) and FLOORS[folder(target)] >= FLOORS[folder(name)]:
                wrong.append(f"{name} imports {target}")
    assert wrong == []


def test_no_import_circles():
    graph = {name: imports(path) for name, path in modules().items()}

    def reach(start: str) -> set[str]:
        seen, todo = set(), list(graph[start])
        while todo:
            node = todo.pop()
            if node not in seen and node in graph:
                seen.add(node)
                todo += graph[node]
        return seen

    assert sorted(name for name in graph if name in reach(name)) == []


def test_no_module_is_over_300_lines():
    long = {name: n for name, path in modules().items() if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_judge_decides_without_aws():
    talking = [name for name, path in modules().items() if folder(name) == "judge"
               and any(token in path.read_text() for token in ("import boto3", "from botocore", "import botocore"))]
    assert talking == []


def test_every_exception_lives_in_errors():
    """One place to learn what can go wrong, and how each face answers it."""

    def is_exception(node: ast.ClassDef) -> bool:
        return any(isinstance(base, ast.Name) and (base.id.endswith(("Error", "Exception")) or base.id in {
            "Exception", "LookupError"}) for base in node.bases)

    elsewhere = [f"{name}.{node.name}" for name, path in modules().items() if name != "errors"
                 for node in ast.walk(ast.parse(path.read_text()))
                 if isinstance(node, ast.ClassDef) and is_exception(node)]
    assert elsewhere == []
