"""`python -m scorecard ...` runs the command line."""

from scorecard.cli.main import main

raise SystemExit(main())
