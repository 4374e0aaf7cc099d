"""model.tar.gz: the layout the Deep Learning Containers expect, the same bytes every time."""

from __future__ import annotations

import tarfile
from pathlib import Path

import package_model


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    first = package_model.build(tmp_path / "a" / "model.tar.gz")
    second = package_model.build(tmp_path / "b" / "model.tar.gz")
    assert first.read_bytes() == second.read_bytes()


def test_the_archive_holds_weights_and_serving_code_with_no_owner_or_time(tmp_path: Path) -> None:
    with tarfile.open(package_model.build(tmp_path / "model.tar.gz")) as tar:
        entries = tar.getmembers()
    assert [e.name for e in entries] == [
        "code/digits_model.py",
        "code/inference.py",
        "code/requirements.txt",
        "model.pt",
    ]
    assert {(e.mtime, e.uid, e.gid, e.uname, e.gname, e.mode) for e in entries} == {(0, 0, 0, "", "", 0o644)}


def test_a_compiled_neuron_model_ships_when_there_is_one(tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    (artifacts / "model.pt").write_bytes((package_model.ARTIFACTS / "model.pt").read_bytes())
    (artifacts / "model.neuron.pt").write_bytes(b"compiled")
    names = [name for name, _ in package_model.members(artifacts=artifacts)]
    assert "model.neuron.pt" in names
    assert "model.neuron.pt" not in [name for name, _ in package_model.members()]
