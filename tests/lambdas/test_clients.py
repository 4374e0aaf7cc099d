"""Every handler creates its AWS clients once per container, lazily: not on import (issue 16 holds a
handler's import close to a bare `import boto3`), and not once per invocation."""

from __future__ import annotations

import ast
import functools
import os
import subprocess
import sys
from typing import Any

import boto3
import pytest

from tests.lambdas.conftest import LAMBDAS, PACKAGES, handler_modules

CLIENT_FACTORIES = {"client", "resource", "Session"}


def test_every_function_package_is_found() -> None:
    assert PACKAGES == ["agent_actions", "async_invoke", "batch_run", "invocation_logging", "kb_ingestion"]


def test_importing_the_handlers_creates_no_client() -> None:
    # A fresh interpreter: in this one, the handlers are imported already.
    code = (
        "import botocore.session\n"
        "def refuse(*args, **kwargs):\n"
        "    raise AssertionError('a boto3 client created on import')\n"
        "botocore.session.Session.create_client = refuse\n"
        + "".join(f"import {package}.handler\n" for package in PACKAGES)
    )
    environment = {**os.environ, "PYTHONPATH": str(LAMBDAS)}
    result = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("package", PACKAGES)
def test_each_client_is_created_on_first_use_and_then_kept(
    package: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    [handler] = [module for module in handler_modules() if module.__name__ == f"{package}.handler"]
    created: list[str] = []

    def client(service: str, **kwargs: Any) -> object:
        created.append(service)
        return object()

    monkeypatch.setattr(boto3, "client", client)
    properties = vars(handler.Clients).items()
    names = [name for name, value in properties if isinstance(value, functools.cached_property)]
    clients = handler.Clients()
    assert names, f"{package}.handler.Clients has no client"
    assert created == []
    first = [getattr(clients, name) for name in names]
    again = [getattr(clients, name) for name in names]
    assert all(a is b for a, b in zip(first, again, strict=True))
    assert len(created) == len(names)


def client_creations(tree: ast.Module) -> list[tuple[ast.Call, bool]]:
    """Each boto3.client/resource/Session(...) call, and whether it is inside a class Clients."""
    found = []

    def visit(node: ast.AST, in_clients: bool) -> None:
        if isinstance(node, ast.Call):
            function = node.func
            if (
                isinstance(function, ast.Attribute)
                and function.attr in CLIENT_FACTORIES
                and isinstance(function.value, ast.Name)
                and function.value.id == "boto3"
            ):
                found.append((node, in_clients))
        inside = in_clients or (isinstance(node, ast.ClassDef) and node.name == "Clients")
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    visit(tree, False)
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_clients_are_created_only_in_the_one_clients_object_of_the_handler(package: str) -> None:
    # Anywhere else, a client could be created per invocation again.
    for path in sorted((LAMBDAS / package).glob("*.py")):
        tree = ast.parse(path.read_text())
        creations = client_creations(tree)
        if path.name != "handler.py":
            assert creations == [], f"{path}: the work modules take their clients as parameters"
            continue
        outside = [node.lineno for node, in_clients in creations if not in_clients]
        assert creations, f"{path}: no boto3 client at all"
        assert not outside, f"{path}: boto3 clients created outside class Clients, lines {outside}"
        instances = [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Clients"
        ]
        module_level = [
            statement
            for statement in tree.body
            if isinstance(statement, ast.Assign)
            and [target.id for target in statement.targets if isinstance(target, ast.Name)] == ["clients"]
            and isinstance(statement.value, ast.Call)
            and isinstance(statement.value.func, ast.Name)
            and statement.value.func.id == "Clients"
        ]
        assert len(instances) == len(module_level) == 1, f"{path}: one `clients = Clients()`, at module level"
