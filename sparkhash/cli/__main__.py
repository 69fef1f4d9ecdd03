"""`python -m sparkhash.cli ...`, the same as the `sparkhash` command."""

import sys

from sparkhash.cli import main

sys.exit(main())
