"""The registry: the one list of models with their kinds; typed loading; no import cycles."""

from __future__ import annotations

import ast
import functools
import operator
import pathlib

import pytest

import relmark.clv
from relmark.clv import BGNBD, KINDS, MODELS, GammaGamma, get_model, load_model, models_of_kind
from relmark.errors import SchemaError


def test_every_model_has_a_kind_and_the_kinds_partition_the_registry() -> None:
    # the six classic models first; the wider family (issue 18) follows them
    assert list(MODELS)[:6] == ["BGNBD", "MBGNBD", "ParetoNBD", "BGBB", "GammaGamma", "SBG"]
    by_kind = {kind: [m.name for m in models_of_kind(kind)] for kind in KINDS}
    assert by_kind["purchase"][:4] == ["BGNBD", "MBGNBD", "ParetoNBD", "BGBB"]
    assert by_kind["spend"][0] == "GammaGamma"
    assert by_kind["retention"][0] == "SBG"
    assert sorted(functools.reduce(operator.iadd, by_kind.values(), [])) == sorted(MODELS)
    with pytest.raises(TypeError):
        MODELS["X"] = BGNBD  # type: ignore[index]


def test_get_model_is_forgiving_about_spelling() -> None:
    assert get_model("bg/nbd") is BGNBD
    assert get_model("Gamma-Gamma") is GammaGamma


def test_load_model_expect_returns_that_class_or_refuses() -> None:
    text = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426).to_json()
    model: BGNBD = load_model(text, expect=BGNBD)  # typed: a BGNBD, not a CLVModel
    assert type(model) is BGNBD
    with pytest.raises(SchemaError) as err:
        load_model(text, expect=GammaGamma)
    assert err.value.key == "model"


def _imports(path: pathlib.Path) -> set[str]:
    """relmark.clv modules a module imports, at the top or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m.startswith("relmark.clv")}


def test_the_clv_modules_import_each_other_without_cycles() -> None:
    """_base <-> _engine <-> _registry <-> _result imported each other (some lazily, inside
    functions): the graph of every import, lazy ones included, is now acyclic."""
    root = pathlib.Path(relmark.clv.__file__).parent
    graph = {
        f"relmark.clv.{p.stem}": _imports(p) - {"relmark.clv"}
        for p in root.glob("*.py")
        if p.stem != "__init__"
    }
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in graph.get(node, set()):
            assert state.get(nxt) != 1, " -> ".join([*path, node, nxt])
            if nxt not in state:
                visit(nxt, [*path, node])
        state[node] = 2

    for module in graph:
        if module not in state:
            visit(module, [])
    assert all(not any(m == "relmark.clv" for m in _imports(p)) for p in root.glob("_*.py"))
