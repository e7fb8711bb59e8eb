"""``python -m model.cli``: the ``pactsim`` command."""

import sys

from model.cli import main

sys.exit(main())
