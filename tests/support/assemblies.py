"""Cloud assemblies of earlier test runs, reused when nothing they were made from has changed.

A variant's assembly (templates, manifest, validation report) is a function of the code and data
the app reads (infra/, lambdas/, sagemaker/, cdk.json), the pinned libraries (the lock files,
package-lock.json and the versions installed), the variant's overrides and the test code that
builds it (tests/conftest.py and this module). The digest of all of them names the assembly; a
change to any of them gives a new digest, so the variant is synthesized again, with every policy
gate. A warm `make test` then spends its time on the tests, not on synthesizing the same app.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
INPUT_FOLDERS = ("infra", "lambdas", "sagemaker")
INPUT_FILES = (
    "cdk.json",
    "pyproject.toml",
    "requirements.lock",
    "requirements-ml.lock",
    "requirements-torch.lock",
    "package.json",
    "package-lock.json",
    "tests/conftest.py",
    "tests/support/assemblies.py",
)
COMPLETE = ".complete"
# The CDK merges context from these over what the tests pass: with them set, nothing is reused.
CONTEXT_FROM_ENVIRONMENT = ("CDK_CONTEXT_JSON", "CDK_CONTEXT_FILE")


@cache
def inputs_digest() -> str:
    """One digest of every file and library version the app's synthesis depends on."""
    digest = hashlib.sha256()
    files = [ROOT / name for name in INPUT_FILES]
    for folder in INPUT_FOLDERS:
        files += [
            p
            for p in (ROOT / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
        ]
    for path in sorted(files):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0")
        digest.update(path.read_bytes() if path.exists() else b"<absent>")
        digest.update(b"\0")
    # Every package as installed (a drift from the lock files changes the key too) and Python's version.
    installed = sorted({f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions()})
    digest.update("\n".join([*installed, sys.version]).encode())
    return digest.hexdigest()


class AssemblyCache:
    """Assemblies under `folder`, one per variant, named by the variant and the inputs' digest."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _entry(self, overrides: dict[str, Any]) -> tuple[str, Path]:
        variant = hashlib.sha256(json.dumps(overrides, sort_keys=True).encode()).hexdigest()[:16]
        return variant, self.folder / f"{variant}-{inputs_digest()[:32]}"

    def find(self, overrides: dict[str, Any], outdir: Path) -> bool:
        """Copy the assembly of this variant made from the same inputs into `outdir` (the test's
        copy survives a later run replacing the cache entry); False if no earlier run kept one."""
        if any(os.environ.get(name) for name in CONTEXT_FROM_ENVIRONMENT):
            return False
        _, entry = self._entry(overrides)
        if not (entry / COMPLETE).exists():
            return False
        try:
            shutil.copytree(entry, outdir, dirs_exist_ok=True)
        except OSError:  # the entry replaced meanwhile by another run: synthesize instead
            return False
        (outdir / COMPLETE).unlink(missing_ok=True)
        return True

    def keep(self, overrides: dict[str, Any], outdir: Path) -> None:
        """Keep `outdir` (a synthesized, checked assembly) for later runs, and drop this variant's
        assemblies of other inputs, so the cache holds one assembly per variant."""
        variant, entry = self._entry(overrides)
        staging = Path(tempfile.mkdtemp(dir=self.folder, prefix=".staging-"))
        shutil.copytree(outdir, staging, dirs_exist_ok=True)
        (staging / COMPLETE).write_text("")
        try:
            os.rename(staging, entry)  # atomic: a parallel test process may keep the same entry
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
        for old in self.folder.glob(f"{variant}-*"):
            if old != entry:
                shutil.rmtree(old, ignore_errors=True)
