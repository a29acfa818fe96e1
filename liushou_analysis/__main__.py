"""``python -m liushou_analysis``: the same as the ``liushou`` command."""

import sys

from .cli import main

sys.exit(main())
