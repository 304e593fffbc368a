"""Notebooks are stored twice (jupytext percent .py and .ipynb without outputs): keep them in
sync and free of outputs; executed in a real Jupyter kernel, every figure must show."""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

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


# A cell that draws: it calls a relmark.plot function, pyplot or builds a Figure.
DRAWS = re.compile(r"\bplot_[a-z_]+\(|\bplt\.(?:subplots|figure|show)\(|\bFigure\(")
FIGURES = {"cdnow_clv": 3, "sbg_retention": 1, "lifecycle": 1, "relationship_view": 1}
FIGURES["survey_nps_rfm"] = 1
FIGURES["idic_end_to_end"] = 2
FIGURES["model_comparison"] = 1
FIGURES["loyalty_and_equity"] = 1
"""Drawing cells each notebook has at least (so the image check below cannot pass vacuously)."""


@pytest.mark.parametrize("script", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_shows_every_figure(
    script: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Execute the .ipynb in a fresh Jupyter kernel, as a new user would (no ``%matplotlib``
    magic, no MPLBACKEND set): every cell that draws must output an image/png, and no cell may
    print a warning. A cell raising fails the test (CellExecutionError)."""
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = nbformat.read(script.with_suffix(".ipynb"), as_version=4)
    NotebookClient(
        nb,
        timeout=120,  # per cell; a notebook runs in a few seconds
        kernel_name="python3",
        resources={"metadata": {"path": str(script.parent)}},
    ).execute()
    drawing = [c for c in nb.cells if c.cell_type == "code" and DRAWS.search(c.source)]
    assert len(drawing) >= FIGURES.get(script.stem, 0)
    for cell in drawing:
        kinds = [set(o.get("data", {})) for o in cell.outputs]
        assert any("image/png" in k for k in kinds), f"no figure shown by:\n{cell.source}"
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "stream" and out.name == "stderr":
                assert "Warning" not in out.text, f"{script.stem}: {out.text}"
