"""``python -m toeprob`` runs the command line."""

import sys

from toeprob.cli import main

sys.exit(main())
