"""The package's top-level namespace."""

from __future__ import annotations

import importlib
import sys

import relmark


def test_subpackages_are_not_shadowed_by_functions() -> None:
    """``import relmark.clv as m`` gives the subpackage (a top-level function of the same
    name would silently replace it, as the ``clv`` function once did)."""
    for name in ("clv", "data", "datasets", "lifecycle", "scoring", "domain"):
        module = importlib.import_module(f"relmark.{name}")
        assert getattr(relmark, name) is module is sys.modules[f"relmark.{name}"]


def test_every_exported_name_exists() -> None:
    """Everything in ``relmark.__all__`` is importable from the top level."""
    missing = [name for name in relmark.__all__ if not hasattr(relmark, name)]
    assert missing == []


def test_import_relmark_loads_no_numerical_stack() -> None:
    """``import relmark`` is cheap (issue 16: under 0.5 s): the re-exported models and
    summaries load scipy and pandas only when first used."""
    import subprocess

    code = (
        "import sys, relmark; heavy = [m for m in ('scipy', 'pandas', 'relmark.clv') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
    late = "import relmark; m = relmark.BGNBD; import sys; print('relmark.clv' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", late], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True"


def test_top_level_names_are_the_subpackage_objects() -> None:
    from relmark.clv import BGNBD
    from relmark.data import summarize

    assert relmark.BGNBD is BGNBD
    assert relmark.summarize is summarize
    assert {"BGNBD", "summarize"} <= set(dir(relmark))


def test_library_code_leaves_the_warning_filters_alone() -> None:
    """Warning filters are process-wide (and catch_warnings is not thread-safe): only the
    `relmark` program's main() may set them, to print warnings as one line each."""
    import re
    from pathlib import Path

    root = Path(relmark.__file__).parent
    pattern = re.compile(r"warnings\.(simplefilter|filterwarnings|catch_warnings|resetwarnings)")
    found = [
        f"{path.relative_to(root)}:{i}"
        for path in sorted(root.rglob("*.py"))
        for i, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert [spot.split(":")[0] for spot in found] == ["cli.py"]  # main()'s catch_warnings
