"""Progress of fits and bootstrap (issue 21 item 4): a callback, a tqdm bar, off by default."""

from __future__ import annotations

import itertools
import sys
import types
from typing import Any

import numpy as np
import pytest

from relmark.clv import BGNBD, GammaGamma, bootstrap
from relmark.errors import ArgumentError

TRUE = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)


def _record() -> tuple[list[tuple[str, float]], Any]:
    calls: list[tuple[str, float]] = []
    return calls, lambda stage, fraction: calls.append((stage, fraction))


def _assert_monotone_to_done(calls: list[tuple[str, float]]) -> None:
    assert calls, "the callback was never called"
    fractions = [f for _, f in calls]
    assert all(0.0 <= f <= 1.0 for f in fractions)
    assert all(b >= a for a, b in itertools.pairwise(fractions))
    assert calls[-1] == ("done", 1.0)
    assert [s for s, _ in calls].count("done") == 1


@pytest.mark.parametrize("n", [500, 40_000])  # the small path, and the subsampled one
def test_fit_calls_back_monotone_and_ends_done(n: int) -> None:
    data = TRUE.simulate(np.linspace(20.0, 40.0, n), rng=1)
    calls, cb = _record()
    model = BGNBD.fit(data, progress=cb)
    _assert_monotone_to_done(calls)
    stages = {s for s, _ in calls}
    assert "start" in stages
    if n > 30_000:
        assert {"subsample", "full data"} <= stages
    # the callback does not change the fit
    assert model.params == BGNBD.fit(data).params


def test_gamma_gamma_fit_passes_progress_through() -> None:
    x = np.arange(1, 301, dtype=float) % 7 + 1
    spend = GammaGamma(p=6.25, q=3.74, gamma=15.44).simulate(x, rng=2)
    calls, cb = _record()
    GammaGamma.fit(frequency=x, monetary_value=spend["monetary_value"], progress=cb)
    _assert_monotone_to_done(calls)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_bootstrap_reports_each_replicate(n_jobs: int) -> None:
    data = TRUE.simulate([39.0] * 400, rng=7)
    model = BGNBD.fit(data)
    calls, cb = _record()
    boot = bootstrap(model, data, n_boot=6, rng=1, n_jobs=n_jobs, progress=cb)
    _assert_monotone_to_done(calls)
    replicate = [f for s, f in calls if s == "replicate"]
    # one call per replicate: 1/6, 2/6, ... 6/6 (by hand)
    np.testing.assert_allclose(replicate, [k / 6 for k in range(1, 7)])
    assert boot == bootstrap(model, data, n_boot=6, rng=1)


def test_no_output_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    data = TRUE.simulate(np.linspace(20.0, 40.0, 40_000), rng=1)
    model = BGNBD.fit(data)
    bootstrap(model, data, n_boot=2, rng=1)
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == ""


def test_tqdm_without_tqdm_is_an_argument_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm raises ImportError
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    data = TRUE.simulate([39.0] * 50, rng=1)
    with pytest.raises(ArgumentError, match="relmark\\[progress\\]") as err:
        BGNBD.fit(data, progress="tqdm")
    assert err.value.argument == "progress"
    model = BGNBD.fit(data)
    with pytest.raises(ArgumentError, match="tqdm") as err:
        bootstrap(model, data, n_boot=2, progress="tqdm")
    assert err.value.argument == "progress"


def test_tqdm_bar_is_driven_to_the_end_and_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stand-in tqdm module (tqdm is an optional extra): the bar reaches its total."""
    bars: list[Any] = []

    class FakeBar:
        def __init__(self, total: int, desc: str, leave: bool) -> None:
            self.total, self.desc, self.n, self.closed = total, desc, 0, False
            bars.append(self)

        def set_postfix_str(self, text: str, refresh: bool = True) -> None:
            self.postfix = text

        def update(self, k: int) -> None:
            assert k >= 0
            self.n += k

        def close(self) -> None:
            self.closed = True

    auto = types.ModuleType("tqdm.auto")
    auto.tqdm = FakeBar  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tqdm", types.ModuleType("tqdm"))
    monkeypatch.setitem(sys.modules, "tqdm.auto", auto)
    data = TRUE.simulate([39.0] * 300, rng=1)
    model = BGNBD.fit(data, progress="tqdm")
    bootstrap(model, data, n_boot=3, rng=1, progress="tqdm")
    assert len(bars) == 2
    assert bars[0].desc == "BGNBD fit"
    assert bars[1].desc == "BGNBD bootstrap"
    assert all(b.n == b.total and b.closed for b in bars)


@pytest.mark.parametrize("bad", ["bar", "TQDM", 1, 0.5, True, ["tqdm"], int])
def test_bad_progress_values_name_the_argument(bad: object) -> None:
    data = TRUE.simulate([39.0] * 50, rng=1)
    with pytest.raises(ArgumentError) as err:
        BGNBD.fit(data, progress=bad)  # type: ignore[arg-type]
    assert err.value.argument == "progress"
    model = BGNBD.fit(data)
    with pytest.raises(ArgumentError) as err:
        bootstrap(model, data, n_boot=2, progress=bad)  # type: ignore[arg-type]
    assert err.value.argument == "progress"
    x = np.array([1.0, 2.0, 3.0])
    with pytest.raises(ArgumentError) as err:
        GammaGamma.fit(frequency=x, monetary_value=x * 10, progress=bad)  # type: ignore[arg-type]
    assert err.value.argument == "progress"


@pytest.mark.parametrize(
    "bad", [lambda stage: None, lambda: None, lambda *, stage, fraction: None, lambda a, b, c: None]
)
def test_a_callback_that_cannot_take_stage_and_fraction_is_refused_up_front(bad: Any) -> None:
    """A callable of the wrong arity raised a raw TypeError from inside the fit; now the
    progress argument is checked before any work (fit and bootstrap)."""
    data = TRUE.simulate(np.linspace(20.0, 40.0, 500), rng=1)
    with pytest.raises(ArgumentError) as err:
        BGNBD.fit(data, progress=bad)
    assert err.value.argument == "progress"
    assert "(stage, fraction)" in str(err.value)
    fitted = BGNBD.fit(data)
    with pytest.raises(ArgumentError) as err:
        bootstrap(fitted, data, n_boot=2, progress=bad)
    assert err.value.argument == "progress"


def test_callable_objects_and_partials_are_accepted() -> None:
    """An object with __call__(stage, fraction) and a functools.partial pass the check."""
    import functools

    data = TRUE.simulate(np.linspace(20.0, 40.0, 500), rng=1)
    seen: list[str] = []

    class Recorder:
        def __call__(self, stage: str, fraction: float) -> None:
            seen.append(stage)

    BGNBD.fit(data, progress=Recorder())
    assert seen[-1] == "done"
    tagged: list[str] = []
    BGNBD.fit(data, progress=functools.partial(lambda tag, s, f: tagged.append(tag + s), "x:"))
    assert tagged[-1] == "x:done"
