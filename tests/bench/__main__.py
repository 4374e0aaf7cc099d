"""`make bench`: every performance figure of issue 16, as ratios measured in the same run on this
machine, with its core count so that a reader can compare runs. Not a test: figures depend on
the machine; the targets are stated next to each.

    python -m tests.bench            all of them
    python -m tests.bench synth      one part (synth, serving, handlers)
"""

from __future__ import annotations

import sys
import time

from tests.bench.timing import cores


def serving() -> list[str]:
    from tests.sagemaker import serving_benchmark  # torch: imported only when asked for

    return serving_benchmark.main()


def synth() -> list[str]:
    from tests.bench import synth as synth_bench

    return synth_bench.main()


def handlers() -> list[str]:
    from tests.bench import handler_imports

    return handler_imports.main()


PARTS = {"synth": synth, "serving": serving, "handlers": handlers}


def main(argv: list[str]) -> int:
    chosen = argv or list(PARTS)
    unknown = [p for p in chosen if p not in PARTS]
    if unknown:
        print(f"unknown part(s) {unknown}; choose from {list(PARTS)}", file=sys.stderr)
        return 2
    print(f"machine: {cores()} cores")
    for part in chosen:
        start = time.perf_counter()
        for line in PARTS[part]():
            print(line, flush=True)
        print(f"({part} measured in {time.perf_counter() - start:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
