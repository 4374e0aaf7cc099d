"""`python -m infra.ask`: see the package's docstring."""

import sys

from infra.ask.cli import main

sys.exit(main())
