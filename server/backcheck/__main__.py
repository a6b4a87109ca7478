"""`python -m backcheck` runs the command-line interface."""

from backcheck.cli import main

raise SystemExit(main())
