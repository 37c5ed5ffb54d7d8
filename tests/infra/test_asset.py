"""What the Lambda asset ships: the engine and its handler's every import, and no test double.

The asset is read as synthesized (cdk.out), so an exclude pattern that stops matching, or an
engine module that starts importing the simulated account, fails here rather than in Lambda
(where moto is not installed and the import would crash the night)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from infra.function import ASSET_ROOT, HANDLER
from tests.infra.synthesis import Synth

TEST_DOUBLE_MODULES = ("moto", "cost_watcher.sim")


def asset_dir(synth: Synth, variant: str = "report") -> Path:
    (code,) = [a for a in synth.assets(variant)["files"].values() if a["source"].get("packaging") == "zip"]
    return synth.outdir / code["source"]["path"]


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function; `from a import b` gives a and a.b."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import (the engine imports absolutely)"
            module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def is_test_double(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in TEST_DOUBLE_MODULES)


def module_file(root: Path, module: str) -> Path | None:
    """The file of an engine module under `root`, or None when `module` is not one (or is a name in one)."""
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def import_closure(root: Path, start: str) -> set[Path]:
    """The engine files `start` needs, transitively, with the packages they sit in."""
    seen: set[Path] = set()
    pending = [start]
    while pending:
        module = pending.pop()
        parts = module.split(".")
        for depth in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__ and a/b/__init__ too
            path = module_file(root, ".".join(parts[:depth]))
            if path is not None and path not in seen:
                seen.add(path)
                pending.extend(m for m in imported_modules(path) if m.split(".")[0] == "cost_watcher")
    return seen


def test_no_shipped_file_imports_moto_or_the_simulated_account(synth):
    root = asset_dir(synth)
    shipped = sorted(root.rglob("*.py"))
    assert len(shipped) > 20, "the asset should hold the engine"
    offenders = {path.relative_to(root).as_posix(): sorted(m for m in imported_modules(path) if is_test_double(m))
                 for path in shipped}
    assert {path: modules for path, modules in offenders.items() if modules} == {}
    assert not (root / "cost_watcher" / "sim").exists()
    assert not (root / "cost_watcher" / "faces" / "cli.py").exists()


@pytest.mark.parametrize("variant", ["report", "act"])
def test_the_handlers_import_closure_is_all_shipped(synth, variant):
    root = asset_dir(synth, variant)
    handler_module = HANDLER.rsplit(".", 1)[0]
    needed = import_closure(ASSET_ROOT, handler_module)  # resolved against the source, so nothing hides
    assert ASSET_ROOT / "cost_watcher" / "engine.py" in needed
    missing = sorted(p.relative_to(ASSET_ROOT).as_posix() for p in needed
                     if not (root / p.relative_to(ASSET_ROOT)).is_file())
    assert missing == [], f"the handler imports modules the asset does not ship: {missing}"


def test_the_asset_ships_restore_which_has_no_test_doubles(synth):
    assert (asset_dir(synth) / "cost_watcher" / "reclaim" / "restore.py").is_file()
