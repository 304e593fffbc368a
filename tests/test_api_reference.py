"""The API reference is complete: every public name has a page, and every public class,
function and method has a numpydoc docstring whose Parameters and Returns sections match its
signature (numpydoc's own validator, checks PR01, PR02, RT01 and GL08)."""

from __future__ import annotations

import dataclasses
import enum
import importlib
import inspect
import pkgutil
import sys
from pathlib import Path

from numpydoc.validate import validate
from pydantic import BaseModel

import relmark

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs"))
import apigen

CHECKS = {"PR01", "PR02", "RT01", "GL08"}
"""Parameters not documented, documented but not in the signature, no Returns section where
the function returns a value, no docstring."""


def _public_modules() -> list[str]:
    return ["relmark"] + [
        info.name
        for info in pkgutil.walk_packages(relmark.__path__, "relmark.")
        if info.name not in apigen.PROGRAMS
        and not any(part.startswith("_") for part in info.name.split("."))
    ]


def _documented() -> dict[int, str]:
    """id(object) -> the public module whose API page documents it."""
    return {
        id(obj): module
        for module, entries in apigen.documented_objects().items()
        for _, obj in entries
    }


def test_every_public_name_has_an_api_page() -> None:
    """Every class and function in the ``__all__`` of every public module (``relmark.clv.value``
    and ``relmark.BGNBD`` included) is documented on one page of the reference."""
    documented = _documented()
    missing = []
    for modname in _public_modules():
        module = importlib.import_module(modname)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if inspect.ismodule(obj) or name == "__version__":
                continue
            if (inspect.isclass(obj) or inspect.isroutine(obj)) and id(obj) not in documented:
                missing.append(f"{modname}.{name}")
    assert missing == []


def test_private_helpers_have_no_page() -> None:
    for module, entries in apigen.documented_objects().items():
        assert not any(part.startswith("_") for part in module.split("."))
        assert all(not name.startswith("_") for name, _ in entries)


def _own_methods(cls: type) -> list[str]:
    """Public methods and properties defined by relmark classes in ``cls``'s MRO."""
    names = []
    for klass in cls.__mro__:
        if not klass.__module__.startswith("relmark"):
            continue
        for name, member in vars(klass).items():
            if name.startswith("_") or name in names:
                continue
            if isinstance(member, classmethod | staticmethod | property) or inspect.isfunction(
                member
            ):
                names.append(name)
    return names


def _generated_init(cls: type) -> bool:
    """pydantic models, dataclasses and exceptions document their fields as attributes (each
    field's docstring), not as constructor parameters."""
    return issubclass(cls, BaseModel | Exception | enum.Enum) or dataclasses.is_dataclass(cls)


def _targets() -> list[tuple[str, set[str]]]:
    """(dotted name, checks to skip) of every public class, function and method."""
    out: list[tuple[str, set[str]]] = []
    for module, entries in apigen.documented_objects().items():
        for name, obj in entries:
            qual = f"{module}.{name}"
            if not getattr(obj, "__module__", "").startswith("relmark"):
                continue  # pydantic's ValidationError, re-exported: documented by pydantic
            if inspect.isroutine(obj):
                out.append((qual, set()))
            elif inspect.isclass(obj):
                out.append((qual, {"PR01", "PR02"} if _generated_init(obj) else set()))
                out += [(f"{qual}.{meth}", set()) for meth in _own_methods(obj)]
    return out


def _failures(qual: str, skip: set[str]) -> list[str]:
    return [f"{code} {msg}" for code, msg in validate(qual)["errors"] if code in CHECKS - skip]


def test_docstrings_document_parameters_and_returns() -> None:
    """numpydoc validation of every public class, function and method (one report of all)."""
    problems = {qual: fails for qual, skip in _targets() if (fails := _failures(qual, skip))}
    report = "\n".join(f"{qual}: {'; '.join(fails)}" for qual, fails in sorted(problems.items()))
    assert not problems, f"{len(problems)} objects:\n{report}"
