"""``python -m toeprob.cli``: the command line."""

import sys

from toeprob.cli.commands import main

sys.exit(main())
