"""What ``relmark fit`` says when a fit on a tiny summary does not converge.

It printed the optimiser's message as the reason: "(ABNORMAL: ; |gradient| 3.3e-06)" (scipy's
L-BFGS-B says "ABNORMAL: " with no reason), or "(CONVERGENCE: RELATIVE REDUCTION OF F <=
FACTR*EPSMCH; ...)" for a fit that did not converge. That message comes from the L-BFGS stage
before relmark's Newton steps and is not why relmark calls the fit unconverged; the error now
names the customers and the criterion that failed, read from the fit's own numbers (checked
here against the library's fit of the same data).
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from pathlib import Path

import pytest

from relmark.cli import _not_converged_because, main
from relmark.clv import BGNBD, GammaGamma

# two repeat buyers: Gamma-Gamma's three parameters are not identified (q and gamma run off)
TWO = (
    "customer_id,frequency,recency,T,time_unit,monetary_value\n"
    "a,1,9.973494389997505,10,W,34.59155723955404\n"
    "b,2,9.817935718374185,10,W,32.872504537123\n"
)
ONE = "customer_id,frequency,recency,T,time_unit,monetary_value\na,1,5,10,W,3.0\n"


def _fit_error(tmp_path: Path, text: str, model: str, capsys: pytest.CaptureFixture[str]) -> str:
    src = tmp_path / "summary.csv"
    src.write_text(text)
    out = tmp_path / "model.json"
    code = main(["fit", str(src), "--model", model, "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert not out.exists()
    line = [x for x in err.splitlines() if x.startswith("relmark: error: ")]
    assert len(line) == 1, err
    return line[0]


def test_two_customers_say_the_likelihood_is_not_curved_like_a_maximum(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _fit_error(tmp_path, TWO, "gammagamma", capsys)
    assert "ABNORMAL" not in err and ": ;" not in err and "CONVERGENCE" not in err
    assert "did not converge on 2 customers" in err
    assert "not curved like a maximum" in err
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = GammaGamma.fit(
            frequency=[1, 2], monetary_value=[34.59155723955404, 32.872504537123]
        ).fit_result
    # the library's own numbers: not converged, a decrement that is not that of a maximum,
    # and q, gamma beyond 1e6
    assert not fit.converged
    assert not (math.isfinite(fit.log_likelihood_change) and fit.log_likelihood_change >= 0)
    assert fit.params["q"] > 1e6 and fit.params["gamma"] > 1e6
    assert "q = " in err and "gamma = " in err
    assert "--allow-unconverged" in err


def test_one_customer_names_the_gradient(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _fit_error(tmp_path, ONE, "gammagamma", capsys)
    assert "did not converge on 1 customer:" in err
    assert "|gradient|" in err and "CONVERGENCE" not in err


def test_each_failed_criterion_is_said_in_words() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = BGNBD.fit(frequency=[0, 1, 2], recency=[0, 3, 5], T=[6, 6, 6]).fit_result
    rising = dataclasses.replace(fit, converged=False, log_likelihood_change=2.5, grad_norm=0.01)
    assert "could still rise by 2.5; per-customer |gradient| 0.01" in (
        _not_converged_because(rising)
    )
    for gain in (math.nan, -1e-3, math.inf, -math.inf):
        flat = dataclasses.replace(fit, converged=False, log_likelihood_change=gain)
        assert "not curved like a maximum" in _not_converged_because(flat)
    steep = dataclasses.replace(fit, converged=False, log_likelihood_change=0.0, grad_norm=3.0)
    assert _not_converged_because(steep).startswith("3 customers: the gradient")
