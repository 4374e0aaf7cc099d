"""`python -m infra.smoke`: see the package's docstring."""

import sys

from infra.smoke.cli import main

sys.exit(main())
