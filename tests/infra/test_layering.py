"""The shape of the code: dependencies point one way (app -> stacks -> constructs), every construct
module has a test module of its own, and no module grows past what a reader takes in at once."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONSTRUCTS = ROOT / "infra" / "constructs"
STACKS = ROOT / "infra" / "stacks"
# A module a newcomer reads top to bottom; the issue that set this said "about 300".
MAX_MODULE_LINES = 300


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, at any depth of the file (lazy imports count too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def modules_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.py") if p.name != "__init__.py")


@pytest.mark.parametrize("module", modules_in(CONSTRUCTS), ids=lambda p: p.stem)
def test_a_construct_depends_on_neither_the_app_config_nor_a_stack(module: Path) -> None:
    # A construct is lifted into other apps: it takes props, not this app's config or stacks.
    upward = {
        m
        for m in imported_modules(module)
        if m.startswith(("infra.config", "infra.stacks", "infra.platform")) or m == "app"
    }
    assert not upward, f"{module.name} imports {sorted(upward)}"


@pytest.mark.parametrize("module", modules_in(STACKS), ids=lambda p: p.stem)
def test_a_stack_does_not_depend_on_the_app_that_wires_it(module: Path) -> None:
    assert "infra.platform" not in imported_modules(module)


@pytest.mark.parametrize("module", modules_in(CONSTRUCTS), ids=lambda p: p.stem)
def test_every_construct_module_has_a_test_module_of_its_own(module: Path) -> None:
    test_module = ROOT / "tests" / "infra" / "constructs" / f"test_{module.name}"
    assert test_module.is_file(), f"no {test_module.relative_to(ROOT)}"


def code_modules() -> list[Path]:
    return sorted(
        p
        for folder in ("infra", "lambdas", "sagemaker")
        for p in (ROOT / folder).rglob("*.py")
        if "__pycache__" not in p.parts
    )


def test_no_code_module_is_longer_than_a_reader_takes_in() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in code_modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"
