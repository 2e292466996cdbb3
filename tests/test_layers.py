"""The contracts in pyproject.toml keep covering the whole house as it grows.

`lint-imports` (run by `make check`) enforces the contracts; these tests make sure a new package,
a new module in bot/ or a new third-party import cannot slip past them unnoticed.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

import grimp  # the import graph under import-linter (requirements/dev.lock.txt)

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# Outside the contracts: they may reach into any layer (docs/architecture.md).
OUTSIDE = {"tests", "benchmarks", "evaluation", "scripts"}
APPLICATION = ("api", "actions", "cli", "knowledge", "servicedesk", "core", "database")
BOT_TEXT_HELPERS = {"bot.vntext", "bot.gazetteer"}


def _contract(contract_id: str) -> dict[str, Any]:
    for contract in PYPROJECT["tool"]["importlinter"]["contracts"]:
        if contract["id"] == contract_id:
            return contract
    raise AssertionError(f"no import-linter contract {contract_id!r}")


def _top_level_packages() -> set[str]:
    return {path.parent.name for path in ROOT.glob("*/__init__.py")}


def _modules(package: str) -> set[str]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


def test_every_package_is_under_contract_or_declared_outside() -> None:
    roots = set(PYPROJECT["tool"]["importlinter"]["root_packages"])
    assert _top_level_packages() - OUTSIDE == roots
    assert roots == {*APPLICATION, "bot"}


def test_the_layers_are_the_documented_ones() -> None:
    assert _contract("layers")["layers"] == [
        "cli",
        "api | actions",
        "database",
        "servicedesk",
        "knowledge",
        "core",
    ]


def test_every_bot_module_is_a_text_helper_or_forbidden_to_the_application() -> None:
    contract = _contract("bot-text-helpers-only")
    assert set(contract["source_modules"]) == set(APPLICATION)
    forbidden = set(contract["forbidden_modules"])
    for module in _modules("bot") - BOT_TEXT_HELPERS - {"bot"}:
        assert any(module == f or module.startswith(f + ".") for f in forbidden), (
            f"{module}: add it to the forbidden modules of 'bot-text-helpers-only' in pyproject.toml "
            "(the application may import only bot.vntext and bot.gazetteer)"
        )


def test_cycles_are_checked_in_every_package() -> None:
    assert set(_contract("no-cycles")["ancestors"]) == {*APPLICATION, "bot"}


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(*lock_files: str) -> dict[str, str]:
    pins = {}
    for name in lock_files:
        for line in (ROOT / "requirements" / name).read_text(encoding="utf-8").splitlines():
            requirement = line.split("#")[0].strip()
            if "==" in requirement:
                package, version = requirement.split("==")
                pins[_normalised(package)] = version.strip()
    return pins


def _declared(requirements: list[str]) -> dict[str, str]:
    return {_normalised(r.split("==")[0]): r.split("==")[1] for r in requirements}


def _imported_top_level_names() -> set[str]:
    names = set()
    for package in APPLICATION:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names.add(node.module.split(".")[0])
    return names


def test_pyproject_declares_every_third_party_import_at_its_locked_version() -> None:
    declared = _declared(PYPROJECT["project"]["dependencies"])
    locked = _pins("app.lock.txt")
    assert {name: locked.get(name) for name in declared} == declared, "pyproject.toml differs from app.lock.txt"

    first_party = _top_level_packages()
    distributions = importlib.metadata.packages_distributions()
    third_party = _imported_top_level_names() - set(sys.stdlib_module_names) - first_party - {"__future__"}
    missing = {
        name: distributions.get(name)
        for name in third_party
        if not any(_normalised(d) in declared for d in distributions.get(name, [name]))
    }
    assert not missing, f"imported by the application but not in pyproject.toml dependencies: {missing}"


def test_the_test_extra_matches_the_dev_lock() -> None:
    declared = _declared(PYPROJECT["project"]["optional-dependencies"]["test"])
    locked = _pins("dev.lock.txt")
    assert {name: locked.get(name) for name in declared} == declared
    assert {"ruff", "mypy", "import-linter", "schemathesis", "pytest"} <= declared.keys()


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative: the groups of modules that import each other in a circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))
    return groups


def test_no_import_cycles_between_modules() -> None:
    """Module by module, imports inside functions included (grimp sees them): the 'no-cycles'
    contract checks packages, and lets the routers and api/deps.py import each other's packages."""
    packages = PYPROJECT["tool"]["importlinter"]["root_packages"]
    graph = grimp.build_graph(*packages, cache_dir=None)
    edges = {module: graph.find_modules_directly_imported_by(module) & graph.modules for module in graph.modules}
    assert _strongly_connected(edges) == []
