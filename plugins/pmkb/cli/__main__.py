"""`python -m pmkb.cli`, the same as the `pmkb` command."""

import sys

from . import main

sys.exit(main())
