"""A slim install: the package needs boto3 at run time and nothing else; moto only for the demo,
Powertools only in the Lambda handler, the CDK libraries never (they are the CDK app's)."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import cost_watcher

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = Path(cost_watcher.__file__).parent


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_the_package_depends_on_boto3_alone():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert [d.split(">")[0].split("=")[0] for d in project["dependencies"]] == ["boto3"]
    assert [d.split("[")[0].split(">")[0] for d in project["optional-dependencies"]["demo"]] == ["moto"]
    assert project["scripts"]["cost-watcher"] == "cost_watcher.faces.cli:console"


def test_third_party_imports_are_where_their_install_is():
    users: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        for name in imported(path) & {"aws_lambda_powertools", "moto", "aws_cdk", "constructs", "cdk_nag"}:
            users.setdefault(name, set()).add(path.relative_to(PACKAGE).as_posix())
    assert users.get("aws_lambda_powertools") == {"faces/handler.py"}
    assert {p.split("/")[0] for p in users.get("moto", set())} == {"sim"}, "moto only in the simulator"
    assert not {"aws_cdk", "constructs", "cdk_nag"} & set(users)


def test_make_demo_installs_the_demo_requirements_only():
    demo = (ROOT / "requirements-demo.txt").read_text()
    runtime = (ROOT / "requirements.txt").read_text()
    assert "-r requirements.txt" in demo and "moto" in demo
    assert not any(word in demo + runtime for word in ("aws-cdk", "constructs", "cdk-nag", "pytest", "powertools"))
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --quiet --disable-pip-version-check -r requirements-demo.txt" in makefile
    assert "demo: $(DEMO_STAMP)" in makefile
