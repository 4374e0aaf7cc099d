"""One 8x8 handwritten digit per class (0-9), 64 pixel intensities (0 to 16) each, from
scikit-learn's bundled digits set: what the test-prediction action sends to the real-time endpoint.

The pixels are data, in sample_digits.json beside this module (the function's asset holds the whole
package). Standard library only: infra/smoke/predictions.py loads this module by its path to send
the same digits.
"""

from __future__ import annotations

import json
from pathlib import Path

PATH = Path(__file__).with_name("sample_digits.json")


def load(path: Path = PATH) -> dict[int, list[int]]:
    """The digits of a file like sample_digits.json ({"7": [64 pixels], ...}), keyed by the digit."""
    return {int(digit): pixels for digit, pixels in json.loads(path.read_text()).items()}


SAMPLE_DIGITS: dict[int, list[int]] = load()
