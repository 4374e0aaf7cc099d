"""`python -m infra.preflight`: see the package's docstring."""

import sys

from infra.preflight.cli import main

sys.exit(main())
