"""The ``relmark`` command line (placeholder until the data layer lands)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``relmark`` command line and return its exit status."""
    parser = argparse.ArgumentParser(prog="relmark", description="relationship-marketing models")
    parser.parse_args(argv)
    return 0
