"""`python -m bot` runs the `baton` command."""

import sys

from bot.cli import main

sys.exit(main())
