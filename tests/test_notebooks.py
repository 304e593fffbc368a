"""Notebooks are stored twice (jupytext percent .py and .ipynb without outputs): keep them in
sync and free of outputs. nbmake executes the .ipynb files in `make test`."""

from __future__ import annotations

from pathlib import Path

import jupytext
import pytest

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.py"))


def test_there_are_notebooks() -> None:
    names = {p.stem for p in NOTEBOOKS}
    assert {
        "cdnow_clv",
        "sbg_retention",
        "lifecycle",
        "survey_nps_rfm",
        "referral_loyalty_economics",
        "relationship_view",
        "exercises",
    } <= names


@pytest.mark.parametrize("script", NOTEBOOKS, ids=lambda p: p.stem)
def test_paired_and_without_outputs(script: Path) -> None:
    paired = script.with_suffix(".ipynb")
    assert paired.exists(), f"run: jupytext --to ipynb {script}"
    py_cells = [c.source for c in jupytext.read(script).cells]
    nb = jupytext.read(paired)
    assert [c.source for c in nb.cells] == py_cells, f"{paired.name} is out of sync with its .py"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.get("outputs"), f"{paired.name} stores outputs"
