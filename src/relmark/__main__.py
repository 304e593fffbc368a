"""``python -m relmark``: the command-line interface."""

from relmark.cli import main

raise SystemExit(main())
