"""The API reference: one page per public class and function, generated from ``__all__``.

Each object is documented once, on the page of the first public module below that exports it
(``relmark.clv.BGNBD``, not ``relmark.BGNBD``). ``conf.py`` writes one ``.rst`` file per module
into ``docs/api/`` before Sphinx reads the sources; autosummary then writes one page per object.
``tests/test_api_reference.py`` checks that every public name has a page and a numpydoc-valid
docstring.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

PUBLIC_MODULES = (
    "relmark.data",
    "relmark.datasets",
    "relmark.clv",
    "relmark.clv.diagnostics",
    "relmark.clv.bgnbd",
    "relmark.clv.mbgnbd",
    "relmark.clv.bgcnbd",
    "relmark.clv.paretonbd",
    "relmark.clv.bgbb",
    "relmark.clv.sbg",
    "relmark.clv.gammagamma",
    "relmark.clv.bdw",
    "relmark.clv.ggompertz",
    "relmark.clv.spend_dependence",
    "relmark.clv.covariates",
    "relmark.clv.covariates.timevarying",
    "relmark.clv.inference",
    "relmark.clv.compare",
    "relmark.clv.simulate",
    "relmark.scoring",
    "relmark.lifecycle",
    "relmark.domain",
    "relmark.view",
    "relmark.decide",
    "relmark.plot",
    "relmark.dask",
    "relmark.engines.sql",
    "relmark.engines.outofcore",
    "relmark.engines.spark",
    "relmark.teaching",
    "relmark.teaching.solutions",
    "relmark.errors",
    "relmark.typing",
    "relmark.timeunit",
    "relmark.domain.referral",
)
PROGRAMS = ("relmark.cli", "relmark.demo", "relmark.__main__")
"""Modules that are programs (documented in docs/cli.md), not an API."""
"""The modules a user imports from, in the order of the reference (``relmark`` itself
re-exports a selection of them)."""


def _existing(modules: tuple[str, ...]) -> list[str]:
    out = []
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            continue
        out.append(name)
    return out


def documented_objects() -> dict[str, list[tuple[str, object]]]:
    """Public module -> [(name, object)] of the classes, functions and data it is the home of."""
    seen: set[int] = set()
    pages: dict[str, list[tuple[str, object]]] = {}
    for modname in _existing(PUBLIC_MODULES):
        module = importlib.import_module(modname)
        entries = []
        for name in sorted(getattr(module, "__all__", ())):
            obj = getattr(module, name)
            if id(obj) in seen or inspect.ismodule(obj):
                continue
            seen.add(id(obj))
            entries.append((name, obj))
        pages[modname] = entries
    return pages


def foreign_members() -> list[str]:
    """Members a public class inherits from Python or pydantic (``str.maketrans``,
    ``BaseModel.model_dump``, ``Exception.with_traceback``): class pages list only relmark's."""
    from pydantic import BaseModel

    names = {"__init__"}
    for base in (str, int, float, tuple, dict, Exception, BaseModel):
        names.update(dir(base))
    return sorted(names)


def kind(obj: object) -> str:
    """'class', 'function' or 'data' (constants and type aliases)."""
    if inspect.isclass(obj):
        return "class"
    if inspect.isroutine(obj):
        return "function"
    return "data"


def write_pages(out: Path) -> list[str]:
    """Write ``out/<module>.rst`` for every public module (only where the text changed, so
    Sphinx does not rebuild everything); return the module names."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for modname, entries in documented_objects().items():
        lines = [modname, "=" * len(modname), "", f".. automodule:: {modname}", "   :no-members:"]
        lines += ["", f".. currentmodule:: {modname}", ""]
        for title, wanted in (("Classes", "class"), ("Functions", "function"), ("Data", "data")):
            names = [name for name, obj in entries if kind(obj) == wanted]
            if not names:
                continue
            lines += [title, "-" * len(title), ""]
            if wanted == "data":
                for name in names:
                    obj = dict(entries)[name]
                    shown = obj if isinstance(obj, str | int | float) else None
                    text = repr(shown) if shown is not None else str(obj).replace("numpy.", "np.")
                    lines += [f".. py:data:: {name}", f"   :value: {text}", ""]
                continue
            lines += [".. autosummary::", "   :toctree: generated"]
            lines += ["", *[f"   {name}" for name in names], ""]
        text = "\n".join(lines) + "\n"
        target = out / f"{modname}.rst"
        if not target.exists() or target.read_text() != text:
            target.write_text(text)
        written.append(modname)
    return written
