"""Sphinx configuration: builds offline, warnings are errors (``make docs``)."""

from __future__ import annotations

import sys
from pathlib import Path

import relmark

sys.path.insert(0, str(Path(__file__).parent))
import apigen

project = "relmark"
author = "relmark developers"
copyright = "2026, relmark developers"
release = relmark.__version__
version = release

extensions = [
    "myst_nb",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb"}
exclude_patterns = ["_build", "_generated", "**.ipynb_checkpoints", "README.md"]
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
nb_execution_mode = "off"  # notebooks are executed by the test suite (nbmake)

templates_path = ["_templates"]
autosummary_generate = True
autosummary_context = {"foreign_members": apigen.foreign_members()}
autodoc_typehints = "none"
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

html_theme = "pydata_sphinx_theme"
html_title = "relmark"
html_static_path: list[str] = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
mathjax_path = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"
suppress_warnings = ["myst.header", "config.cache"]
nitpicky = False


def _render_figures(app: object) -> None:
    """Render the figures of relmark.plot into docs/_generated so pages can show them."""
    from pathlib import Path

    import numpy as np

    from relmark.clv import BGNBD, SBG
    from relmark.clv.diagnostics import calibration_holdout_table, period_transactions, tracking
    from relmark.data import calibration_holdout
    from relmark.datasets import load_cdnow_sample_transactions, load_retention
    from relmark.plot import (
        plot_calibration_holdout,
        plot_p_alive_matrix,
        plot_period_transactions,
        plot_survival,
        plot_tracking,
    )

    out = Path(__file__).parent / "_generated"
    out.mkdir(exist_ok=True)
    log = load_cdnow_sample_transactions()
    split = calibration_holdout(
        log, calibration_end="1997-09-30", observation_end="1998-06-30", freq_multiplier=7
    )
    bg = BGNBD.fit(split)
    retention = load_retention("regular")
    figures = {
        "calibration_holdout": plot_calibration_holdout(
            calibration_holdout_table({"BG/NBD": bg}, split)
        ),
        "period_transactions": plot_period_transactions(period_transactions(bg, split)[0]),
        "tracking": plot_tracking(tracking(bg, log, calibration_end="1997-09-30")),
        "p_alive_matrix": plot_p_alive_matrix(bg, T=float(np.max(split.T))),
        "survival": plot_survival(
            SBG.fit_survival(retention["alive"].to_numpy()[:8]), retention["percent_alive"]
        ),
    }
    for name, fig in figures.items():
        fig.savefig(out / f"{name}.png")


def _write_api_pages(app: object, config: object) -> None:
    """Write docs/api/<module>.rst from the modules' __all__ before Sphinx reads the sources."""
    apigen.write_pages(Path(__file__).parent / "api")


def setup(app: object) -> None:
    app.connect("config-inited", _write_api_pages)  # type: ignore[attr-defined]
    app.connect("builder-inited", _render_figures)  # type: ignore[attr-defined]
