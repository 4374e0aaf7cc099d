"""Builds model.tar.gz in the layout the Deep Learning Containers expect, byte for byte the same
every time (sorted entries, zero timestamps, no owners), so its CDK asset hash, and so the
synthesized templates, only change when the model or its code does.

    model.pt                  the weights
    model.neuron.pt           the Neuron-compiled model, when one has been built
    code/inference.py         model_fn, input_fn, predict_fn, output_fn
    code/digits_model.py      the model's definition
    code/requirements.txt

Standard library only: the CDK app builds the archive at synth without PyTorch.
"""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE / "artifacts"
CODE = HERE / "code"
SERVING_CODE = ("inference.py", "digits_model.py", "requirements.txt")


def members(artifacts: Path = ARTIFACTS, code: Path = CODE) -> list[tuple[str, Path]]:
    """(name in the archive, file on disk), in archive order."""
    entries = [("model.pt", artifacts / "model.pt")]
    if (artifacts / "model.neuron.pt").exists():
        entries.append(("model.neuron.pt", artifacts / "model.neuron.pt"))
    entries += [(f"code/{name}", code / name) for name in SERVING_CODE]
    return sorted(entries)


def build(destination: Path, *, artifacts: Path = ARTIFACTS, code: Path = CODE) -> Path:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, source in members(artifacts, code):
            data = source.read_bytes()
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            archive.addfile(info, io.BytesIO(data))
    destination.parent.mkdir(parents=True, exist_ok=True)
    with destination.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        gz.write(buffer.getvalue())
    return destination


if __name__ == "__main__":
    import sys

    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "build" / "model.tar.gz"))
