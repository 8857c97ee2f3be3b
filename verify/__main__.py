"""``python -m verify``: the same as the ``ssl-audit`` console script."""

import sys

from verify.cli import main

sys.exit(main())
