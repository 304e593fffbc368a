"""The aliases of :mod:`relmark.typing` and the one place they are promised: every public
random function takes ``rng: RngLike`` (CONTRIBUTING.md: ``rng``, not ``seed`` or
``random_state``)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import typing
from collections.abc import Iterator
from types import FunctionType, ModuleType

import numpy as np

import relmark
from relmark.typing import FloatArray, IntArray, RngLike


def test_the_aliases_are_the_documented_types() -> None:
    """A Generator, a seed or None; float64 and int64 arrays (written out from the module's
    docstring)."""
    assert set(typing.get_args(RngLike)) == {np.random.Generator, int, type(None)}
    assert typing.get_args(typing.get_args(FloatArray)[1]) == (np.float64,)
    assert typing.get_args(typing.get_args(IntArray)[1]) == (np.int64,)


def _public_modules() -> Iterator[ModuleType]:
    for info in pkgutil.walk_packages(relmark.__path__, "relmark."):
        parts = info.name.split(".")
        if any(p.startswith("_") for p in parts):
            continue
        try:
            yield importlib.import_module(info.name)
        except ModuleNotFoundError as exc:  # an optional extra that is not installed
            if (exc.name or "").startswith("relmark"):
                raise


def _public_callables(module: ModuleType) -> Iterator[tuple[str, FunctionType]]:
    for name in getattr(module, "__all__", []):
        obj = getattr(module, name)
        if inspect.isclass(obj):
            for attr in dir(obj):
                if attr[0] == "_" and attr != "__init__":
                    continue
                member = inspect.getattr_static(obj, attr)
                if isinstance(member, classmethod | staticmethod):
                    member = member.__func__
                if inspect.isfunction(member):
                    yield f"{module.__name__}.{name}.{attr}", member
        elif inspect.isfunction(obj):
            yield f"{module.__name__}.{name}", obj


def test_every_public_random_function_takes_rng_as_rnglike() -> None:
    takes_rng: list[str] = []
    wrong: list[str] = []
    for module in _public_modules():
        for where, func in _public_callables(module):
            params = inspect.signature(func).parameters
            wrong += [f"{where}({p})" for p in ("seed", "random_state") if p in params]
            if "rng" in params:
                annotation = params["rng"].annotation  # evaluate only this one annotation
                namespace = getattr(inspect.unwrap(func), "__globals__", {})
                hint = (
                    eval(annotation, namespace)  # the module's own annotation text
                    if isinstance(annotation, str)
                    else annotation
                )
                if hint != RngLike:
                    wrong.append(f"{where}(rng: {hint})")
                takes_rng.append(where)
    assert wrong == []
    # the scan reached the random functions of every package that has some
    assert {
        "relmark.clv.BGNBD.simulate",
        "relmark.clv.value.clv_interval",
        "relmark.lifecycle.hmm.simulate_hmm",
        "relmark.scoring.satisfaction.nps",
        "relmark.view.relationship_view",
    } <= set(takes_rng)
