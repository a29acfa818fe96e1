"""``python -m liushou_analysis``: the same as the ``liushou`` command."""

import sys

from liushou_analysis.cli import main

sys.exit(main())
