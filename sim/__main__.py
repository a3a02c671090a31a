"""``python -m sim`` runs the churnsim command line."""

import sys

from sim.cli import main

sys.exit(main())
