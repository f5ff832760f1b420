"""``python -m toeprob`` runs the command line."""

import sys

from toeprob.cli.commands import main

sys.exit(main())
