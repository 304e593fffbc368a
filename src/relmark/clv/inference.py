r"""Inference beyond the asymptotic normal: the nonparametric bootstrap and likelihood-ratio tests.

- :func:`bootstrap` refits a model on resamples of its customers. With the data compressed into
  distinct rows and their counts :math:`w`, a resample of the :math:`N` customers is a
  multinomial draw of :math:`N` counts over the rows with probabilities :math:`w/N` (Efron &
  Tibshirani 1993, ch. 6), so each refit costs what a fit on the distinct rows costs. The
  result, :class:`Bootstrap`, gives percentile intervals for the parameters
  (:meth:`Bootstrap.conf_int`) and for any prediction (:meth:`Bootstrap.interval`, the API of
  :meth:`relmark.clv.CLVModel.interval`).
- :func:`likelihood_ratio_test` compares a restricted fit with a fuller one that nests it:
  :math:`\Lambda = 2(\ell_\text{full} - \ell_\text{restricted})`, asymptotically
  :math:`\chi^2_{df}` under the restriction (Wilks 1938), ``df`` the number of restrictions.

Priors (MAP fits) are declared with :class:`relmark.clv.Prior` and passed to ``fit(...,
priors=...)``; a bootstrap of a MAP fit refits with the same priors.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.stats import chi2

from relmark._validation import (
    FloatArray,
    check_count,
    check_level,
    check_rng,
    is_json_number,
)
from relmark.clv._base import (
    CLVModel,
    Interval,
    _prediction_values,
    check_fixed,
    check_priors,
    fit_restricted,
    read_json,
)
from relmark.clv._engine import Progress, one_blas_thread, progress_callback
from relmark.clv._params import Prior
from relmark.errors import ArgumentError, ConvergenceError, DataError, SchemaError
from relmark.typing import RngLike

__all__ = ["Bootstrap", "LikelihoodRatioTest", "bootstrap", "likelihood_ratio_test"]

_MAX_BOOT = 100_000
"""More resamples than this is a mistake."""


@dataclass(frozen=True)
class Bootstrap:
    """Parameter estimates refitted on bootstrap resamples of the customers.

    Attributes
    ----------
    model
        The model's name (``"BGNBD"``, ...).
    param_names
        The parameters, in declaration order.
    estimate
        The estimates on the data themselves, shape ``(k,)``.
    draws
        One row of estimates per resample that converged, shape ``(n_converged, k)``.
    n_boot
        The number of resamples drawn.
    n_failed
        Resamples whose fit did not converge (left out of ``draws``).

    Examples
    --------
    >>> from relmark.clv import BGNBD, bootstrap
    >>> true = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> data = true.simulate([39.0] * 1000, rng=7)
    >>> model = BGNBD.fit(data)
    >>> boot = bootstrap(model, data, n_boot=20, rng=1)
    >>> boot.draws.shape
    (20, 4)
    >>> lo, hi = boot.conf_int()["r"]
    >>> bool(lo < model.params["r"] < hi)
    True
    """

    model: str
    param_names: tuple[str, ...]
    estimate: FloatArray
    draws: FloatArray
    n_boot: int
    n_failed: int = 0
    _template: CLVModel | None = field(default=None, compare=False, repr=False)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Bootstrap):
            return NotImplemented
        return bool(
            self.model == other.model
            and self.param_names == other.param_names
            and np.array_equal(self.estimate, other.estimate)
            and np.array_equal(self.draws, other.draws)
            and self.n_boot == other.n_boot
            and self.n_failed == other.n_failed
        )

    __hash__ = None  # type: ignore[assignment]

    def conf_int(self, level: float = 0.95) -> dict[str, tuple[float, float]]:
        """Percentile intervals of the parameters.

        Parameters
        ----------
        level
            Coverage, strictly between 0 and 1 (default 0.95).

        Returns
        -------
        dict of str to (float, float)
            ``(lower, upper)`` per parameter: the :math:`(1-\\text{level})/2` and
            :math:`(1+\\text{level})/2` quantiles of the resampled estimates.

        Raises
        ------
        ArgumentError
            For a level outside (0, 1).
        ModelNotFittedError
            Not raised; see :meth:`interval` for predictions.
        """
        coverage = check_level(level, "level")
        self._need_draws()
        tail = (1.0 - coverage) / 2.0
        lo, hi = np.quantile(self.draws, [tail, 1.0 - tail], axis=0)
        return {n: (float(a), float(b)) for n, a, b in zip(self.param_names, lo, hi, strict=True)}

    @property
    def bse(self) -> dict[str, float]:
        """Bootstrap standard errors: the standard deviation of the resampled estimates."""
        self._need_draws()
        sd = self.draws.std(axis=0, ddof=1) if self.draws.shape[0] > 1 else self.draws[0] * 0
        return {n: float(v) for n, v in zip(self.param_names, sd, strict=True)}

    def interval(
        self,
        prediction: Callable[[Any], npt.ArrayLike],
        *,
        level: float = 0.95,
        model: CLVModel | None = None,
    ) -> Interval:
        """A prediction with a percentile interval over the resampled parameters.

        The API of :meth:`relmark.clv.CLVModel.interval`: the prediction is a function of a
        model, evaluated at the estimates (the estimate) and at each resample's parameters.

        Parameters
        ----------
        prediction
            A function of a model giving the prediction, e.g.
            ``lambda m: m.p_alive(frequency, recency, T)``.
        level
            Coverage of the interval, strictly between 0 and 1 (default 0.95).
        model
            The fitted model (needed only for a bootstrap loaded from JSON; the model
            :func:`bootstrap` was given otherwise).

        Returns
        -------
        Interval
            ``(estimate, lower, upper)``.

        Raises
        ------
        ArgumentError
            For a bad level, a prediction that is not a function or returns other than finite
            numbers of one shape, no model for a loaded bootstrap, or a model of another
            class or other estimates (naming the argument).
        """
        coverage = check_level(level, "level")
        if not callable(prediction):
            raise ArgumentError(
                f"must be a function of a model, got {type(prediction).__name__}",
                argument="prediction",
            )
        base = self._base(model)
        self._need_draws()
        est = _prediction_values(prediction(base), None)
        sims = np.stack(
            [_prediction_values(prediction(base.with_params(d)), est) for d in self.draws]
        )
        tail = (1.0 - coverage) / 2.0
        lo, hi = np.quantile(sims, [tail, 1.0 - tail], axis=0)
        return Interval((est, np.asarray(lo, np.float64), np.asarray(hi, np.float64)))

    def _base(self, model: CLVModel | None) -> CLVModel:
        base = model if model is not None else self._template
        if base is None:
            raise ArgumentError(
                "this bootstrap was loaded from JSON: pass the fitted model", argument="model"
            )
        if not isinstance(base, CLVModel) or base.name != self.model:
            raise ArgumentError(f"must be the fitted {self.model} model", argument="model")
        if not np.array_equal(base.params_array, self.estimate):
            raise ArgumentError(
                "has other estimates than the bootstrap's (another fit)", argument="model"
            )
        return base

    def _need_draws(self) -> None:
        if self.draws.shape[0] == 0:
            raise ConvergenceError(
                f"{self.model}: no bootstrap resample converged ({self.n_failed} failed)"
            )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (floats round-trip exactly).

        Returns
        -------
        dict
            ``schema``, ``model``, ``param_names``, ``estimate``, ``draws`` (nested lists),
            ``n_boot`` and ``n_failed``; :meth:`from_dict` restores an equal result.
        """
        return {
            "schema": "relmark.clv.bootstrap",
            "model": self.model,
            "param_names": list(self.param_names),
            "estimate": self.estimate.tolist(),
            "draws": self.draws.tolist(),
            "n_boot": self.n_boot,
            "n_failed": self.n_failed,
        }

    def to_json(self) -> str:
        """The JSON text of :meth:`to_dict`.

        Returns
        -------
        str
            JSON; :meth:`from_json` reads it back.
        """
        import json

        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Bootstrap:
        """Inverse of :meth:`to_dict`.

        Parameters
        ----------
        d
            A saved bootstrap.

        Returns
        -------
        Bootstrap
            An equal result (pass the fitted model to :meth:`interval`).

        Raises
        ------
        SchemaError
            For a missing, unknown or ill-typed key (naming it).
        """
        keys = {"schema", "model", "param_names", "estimate", "draws", "n_boot", "n_failed"}
        if not isinstance(d, Mapping):
            raise SchemaError(f"expected a JSON object, got {type(d).__name__}")
        for key in sorted(keys - set(d)):
            raise SchemaError("is missing", key=key)
        for key in sorted(set(d) - keys):
            raise SchemaError("is not a key of a saved bootstrap", key=key)
        if d["schema"] != "relmark.clv.bootstrap":
            raise SchemaError("must be 'relmark.clv.bootstrap'", key="schema")
        names = d["param_names"]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names) or not names:
            raise SchemaError("must be a list of parameter names", key="param_names")
        if not isinstance(d["model"], str):
            raise SchemaError("must be text", key="model")
        from relmark.clv._registry import MODELS

        if d["model"] not in MODELS:
            raise SchemaError(f"{d['model']!r} is not a relmark model", key="model")
        pset = MODELS[d["model"]].param_set
        if tuple(names) != pset.names:
            raise SchemaError(
                f"must be {list(pset.names)}, the parameters of {d['model']}", key="param_names"
            )
        est = _numbers(d["estimate"], "estimate", (len(names),))
        draws = d["draws"]
        if not isinstance(draws, list):
            raise SchemaError("must be a list of rows", key="draws")
        arr = _numbers(draws, "draws", (len(draws), len(names))) if draws else np.zeros((0, 0))
        arr = arr.reshape(len(draws), len(names))
        if not pset.contains(est):
            raise SchemaError(
                f"must lie in the domains of {d['model']}'s parameters", key="estimate"
            )
        for i, row in enumerate(arr):
            if not pset.contains(row):
                raise SchemaError(
                    f"must lie in the domains of {d['model']}'s parameters", key=f"draws.{i}"
                )
        counts = []
        for key in ("n_boot", "n_failed"):
            v = d[key]
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise SchemaError(f"must be a whole number >= 0, got {v!r}", key=key)
            counts.append(v)
        if not 2 <= counts[0] <= _MAX_BOOT:
            raise SchemaError(f"must be between 2 and {_MAX_BOOT:,}", key="n_boot")
        if counts[0] != arr.shape[0] + counts[1]:
            raise SchemaError("must equal the draws plus the failed resamples", key="n_boot")
        return cls(d["model"], tuple(names), est, arr, counts[0], counts[1])

    @classmethod
    def from_json(cls, text: str | bytes) -> Bootstrap:
        """Load a bootstrap saved by :meth:`to_json`.

        Parameters
        ----------
        text
            The JSON text.

        Returns
        -------
        Bootstrap
            An equal result.

        Raises
        ------
        SchemaError
            For text that is not a saved bootstrap (naming the key).
        """
        return cls.from_dict(read_json(text))


def _check_fitted(model: object, argument: str) -> None:
    """An ArgumentError naming ``argument`` unless ``model`` is a fitted relmark CLV model."""
    if not isinstance(model, CLVModel):
        raise ArgumentError(
            f"must be a fitted relmark CLV model, got {type(model).__name__}", argument=argument
        )
    if not model.is_fitted:
        raise ArgumentError(f"this {model.name} is not fitted", argument=argument)


def _likelihood_data(
    model: CLVModel,
    data: object,
    weights: npt.ArrayLike | None,
    columns: Mapping[str, npt.ArrayLike | None],
) -> tuple[tuple[FloatArray, ...], FloatArray | None]:
    """The model's data columns and weights as its likelihood reads them: for Gamma-Gamma
    the repeat buyers only (the others do not enter its likelihood: log 0)."""
    arrays, w = type(model)._coerce(data, weights, columns)
    if model.kind == "spend":
        keep = arrays[0] > 0
        arrays = tuple(a[keep] for a in arrays)
        w = None if w is None else w[keep]
    return arrays, w


def _numbers(value: object, key: str, shape: tuple[int, ...]) -> FloatArray:
    flat = value if isinstance(value, list) else [value]
    flat = [v for row in flat for v in (row if isinstance(row, list) else [row])]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in flat):
        # numpy reads "1" as 1.0 and true as 1.0: a JSON number only
        raise SchemaError("must hold numbers (not text, booleans or null)", key=key)
    if not all(is_json_number(v) for v in flat):  # NaN, infinities, a 400-digit integer
        raise SchemaError(f"must hold finite numbers of shape {shape}", key=key)
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise SchemaError("must hold numbers", key=key) from None
    if arr.shape != shape or not np.all(np.isfinite(arr)):
        raise SchemaError(f"must hold finite numbers of shape {shape}", key=key)
    return arr


def bootstrap(
    model: CLVModel,
    data: object = None,
    *,
    n_boot: int = 200,
    rng: RngLike = None,
    n_jobs: int = 1,
    weights: npt.ArrayLike | None = None,
    progress: Progress | str | None = None,
    **columns: npt.ArrayLike | None,
) -> Bootstrap:
    """Refit a fitted model on ``n_boot`` nonparametric bootstrap resamples of its customers.

    Each resample draws :math:`N` customers with replacement from the :math:`N` of the data.
    On the data compressed into distinct rows with counts :math:`w_j`, that is one multinomial
    draw of counts :math:`c \\sim \\text{Mult}(N, w/N)`, and the refit maximises
    :math:`\\sum_j c_j \\ell_j(\\theta)` from the estimates (Efron & Tibshirani 1993, ch. 6):
    a resample costs what one fit on the distinct rows costs. A MAP fit is refitted with its
    priors, a restricted fit with its fixed parameters. Resamples whose fit does not converge
    are counted in ``n_failed`` and left out.

    Parameters
    ----------
    model
        A fitted model (e.g. ``BGNBD.fit(summary)``).
    data
        The data it was fitted on (a summary, a DataFrame or a mapping of its columns); for
        Gamma-Gamma the repeat buyers are the customers resampled (the others do not enter
        its likelihood).
    n_boot
        The number of resamples, a whole number >= 2 (200 by default; 1,000 or more for the
        tails of a 99 % interval).
    rng
        A ``numpy.random.Generator`` or seed: every resample's counts are drawn from it, in
        order, before any fit runs, so results do not depend on ``n_jobs``.
    n_jobs
        Threads fitting resamples at once (concurrent.futures), a whole number >= 1.
    weights
        Counts of identical rows of ``data``, as for ``fit``.
    progress
        Off (``None``, the default: no output); a callable ``progress(stage, fraction)``
        called once per finished replicate with stage ``"replicate"`` and the fraction of
        replicates done (monotone; the last call is ``("done", 1.0)``); or ``"tqdm"`` for a
        progress bar (the ``progress`` extra).
    **columns
        The model's data columns as arrays, overriding those of ``data``.

    Returns
    -------
    Bootstrap
        The resampled estimates; ``conf_int()`` and ``interval(prediction)`` give percentile
        intervals.

    Raises
    ------
    ArgumentError
        For a model that is not fitted, a bad ``n_boot``, ``n_jobs``, ``rng`` or ``progress``
        (naming it; ``"tqdm"`` without tqdm installed).
    DataError
        For data that is not the model's (naming the column), or data of another size than
        the fit's (``nobs``).

    References
    ----------
    Efron, B. & Tibshirani, R. (1993), *An Introduction to the Bootstrap*, Chapman & Hall.

    Examples
    --------
    >>> from relmark.clv import BGNBD, bootstrap
    >>> true = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> data = true.simulate([39.0] * 1000, rng=7)
    >>> model = BGNBD.fit(data)
    >>> boot = bootstrap(model, data, n_boot=20, rng=1, n_jobs=2)
    >>> boot == bootstrap(model, data, n_boot=20, rng=1)
    True
    >>> est, lo, hi = boot.interval(lambda m: m.p_alive(2, 30.43, 38.86))
    >>> bool(lo[0] < est[0] < hi[0])
    True
    """
    _check_fitted(model, "model")
    count = check_count(n_boot, "n_boot", minimum=2)
    if count > _MAX_BOOT:
        raise ArgumentError(f"must be at most {_MAX_BOOT:,}, got {count}", argument="n_boot")
    jobs = check_count(n_jobs, "n_jobs", minimum=1)
    gen = check_rng(rng, "rng")
    report = progress_callback(progress, desc=f"{model.name} bootstrap")
    fit = model.fit_result
    cls = type(model)
    arrays, w = _likelihood_data(model, data, weights, columns)
    rows, counts = cls._compress(arrays, w, True)
    total = float(counts.sum())
    if round(total) != fit.nobs:
        raise DataError(
            f"holds {total:,.0f} customers, the fit {fit.nobs:,}: not the data it was fitted on",
            column="nobs",
        )
    fixed = check_fixed(cls.param_set, fit.extra.get("fixed"))
    priors_given = fit.extra.get("priors") or {}
    priors = check_priors(
        cls.param_set, {n: Prior.from_dict(p) for n, p in priors_given.items()}, fixed
    )
    lik = cls.likelihood_for(model.settings)
    n_customers = round(total)
    probs = counts / total
    resamples = [gen.multinomial(n_customers, probs).astype(np.float64) for _ in range(count)]
    finished = [0]
    lock = threading.Lock()

    def one(c: FloatArray) -> FloatArray | None:
        out = refit(c)
        if report is not None:
            with lock:  # replicates finish in any order on threads: count them in one place
                finished[0] += 1
                report("replicate", finished[0] / count)
        return out

    def refit(c: FloatArray) -> FloatArray | None:
        use = c > 0
        try:
            res = fit_restricted(
                model=cls.name,
                pset=cls.param_set,
                lik=lik,
                data=tuple(np.ascontiguousarray(a[use]) for a in rows),
                weights=c[use],
                start=model.params_array,
                priors=priors,
                fixed=fixed,
                quiet=True,
            )
        except ConvergenceError:
            return None
        if not res.converged or not cls.param_set.contains(res.params_array):
            return None
        return res.params_array

    with one_blas_thread():
        if jobs == 1:
            results = [one(c) for c in resamples]
        else:
            with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="relmark-boot") as pool:
                results = list(pool.map(one, resamples))
    if report is not None:
        report("done", 1.0)
    good = [r for r in results if r is not None]
    k = len(cls.param_set)
    draws = np.array(good, dtype=np.float64).reshape(len(good), k)
    return Bootstrap(
        model=cls.name,
        param_names=cls.param_set.names,
        estimate=np.array(model.params_array, dtype=np.float64),
        draws=draws,
        n_boot=count,
        n_failed=count - len(good),
        _template=model,
    )


@dataclass(frozen=True)
class LikelihoodRatioTest:
    """The result of :func:`likelihood_ratio_test`.

    Attributes
    ----------
    restricted, full
        The two models' names.
    statistic
        :math:`\\Lambda = 2(\\ell_\\text{full} - \\ell_\\text{restricted})` (>= 0 up to the
        fits' tolerance; a slightly negative value from rounding is reported as is).
    df
        Degrees of freedom: the number of restrictions.
    p_value
        :math:`P(\\chi^2_{df} \\ge \\Lambda)`.
    restrictions
        The restricted parameters and the values they are held at.

    Examples
    --------
    >>> from relmark.clv import LikelihoodRatioTest
    >>> t = LikelihoodRatioTest("BGNBD", "BGNBD", 3.841458820694124, 1, 0.05, {"r": 0.2})
    >>> LikelihoodRatioTest.from_dict(t.to_dict()) == t
    True
    """

    restricted: str
    full: str
    statistic: float
    df: int
    p_value: float
    restrictions: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict.

        Returns
        -------
        dict
            The fields by name; :meth:`from_dict` restores an equal result.
        """
        return {
            "restricted": self.restricted,
            "full": self.full,
            "statistic": self.statistic,
            "df": self.df,
            "p_value": self.p_value,
            "restrictions": dict(self.restrictions),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> LikelihoodRatioTest:
        """Inverse of :meth:`to_dict`.

        Parameters
        ----------
        d
            A saved test.

        Returns
        -------
        LikelihoodRatioTest
            An equal result.

        Raises
        ------
        SchemaError
            For missing or ill-typed keys (naming the key).
        """
        keys = ("restricted", "full", "statistic", "df", "p_value", "restrictions")
        if not isinstance(d, Mapping):
            raise SchemaError(f"expected a JSON object, got {type(d).__name__}")
        for key in keys:
            if key not in d:
                raise SchemaError("is missing", key=key)
        for key in sorted(set(d) - set(keys)):
            raise SchemaError("is not a key of a saved likelihood-ratio test", key=str(key))
        for key in ("restricted", "full"):
            if not isinstance(d[key], str):
                raise SchemaError("must be text", key=key)
        for key in ("statistic", "p_value"):
            v = d[key]
            if not is_json_number(v):
                raise SchemaError(f"must be a finite number, got {v!r}", key=key)
        if isinstance(d["df"], bool) or not isinstance(d["df"], int) or d["df"] < 1:
            raise SchemaError("must be a whole number >= 1", key="df")
        held = d["restrictions"]
        if not isinstance(held, Mapping):
            raise SchemaError("must be an object", key="restrictions")
        for name, v in held.items():
            if not is_json_number(v):
                raise SchemaError(f"must be a finite number, got {v!r}", key=f"restrictions.{name}")
        if len(held) != d["df"]:
            raise SchemaError(f"must be one per restriction: {len(held)} restrictions", key="df")
        statistic, df = float(d["statistic"]), d["df"]
        expected = float(chi2.sf(max(statistic, 0.0), df))
        if not math.isclose(float(d["p_value"]), expected, rel_tol=1e-9, abs_tol=1e-300):
            raise SchemaError(
                f"is {d['p_value']!r}, but the statistic and df give {expected!r}: edited",
                key="p_value",
            )
        return cls(
            d["restricted"],
            d["full"],
            statistic,
            df,
            float(d["p_value"]),
            {str(k): float(v) for k, v in held.items()},
        )

    def to_json(self) -> str:
        """The JSON text of :meth:`to_dict`.

        Returns
        -------
        str
            JSON; :meth:`from_json` reads it back.
        """
        import json

        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str | bytes) -> LikelihoodRatioTest:
        """Load a test saved by :meth:`to_json`.

        Parameters
        ----------
        text
            The JSON text.

        Returns
        -------
        LikelihoodRatioTest
            An equal result.

        Raises
        ------
        SchemaError
            For text that is not a saved test (naming the key).
        """
        return cls.from_dict(read_json(text))


def _restrictions(restricted: CLVModel, full: CLVModel) -> dict[str, float]:
    """What ``restricted`` holds fixed that ``full`` estimates, or an ArgumentError saying why
    the pair is not nested."""
    if type(restricted) is not type(full):
        nests: Mapping[str, Mapping[str, float]] = getattr(type(full), "nests", {})
        if restricted.name not in nests:
            raise ArgumentError(
                f"{restricted.name} is not nested in {full.name}: a likelihood-ratio test needs "
                "the same model with parameters held fixed (fit(..., fixed=...)), or a model "
                f"that declares it nests the other ({type(full).__name__}.nests)",
                argument="restricted",
            )
        held = dict(nests[restricted.name])
        fixed_full = full.fit_result.extra.get("fixed") or {}
        if fixed_full or restricted.fit_result.extra.get("fixed"):
            raise ArgumentError(
                "fits with fixed parameters of two different models cannot be compared",
                argument="restricted",
            )
        return held
    if restricted.settings != full.settings:
        raise ArgumentError(
            f"has the settings {restricted.settings}, the full model {full.settings}: not nested",
            argument="restricted",
        )
    fixed_r: Mapping[str, float] = restricted.fit_result.extra.get("fixed") or {}
    fixed_f: Mapping[str, float] = full.fit_result.extra.get("fixed") or {}
    for name, value in fixed_f.items():
        if fixed_r.get(name) != value:
            raise ArgumentError(
                f"the full model holds {name} = {value} but the restricted one does not: "
                "not nested",
                argument="full",
            )
    extra = {n: float(v) for n, v in fixed_r.items() if n not in fixed_f}
    if not extra:
        raise ArgumentError(
            "holds no parameter fixed that the full model estimates: not nested (fit the "
            "restricted model with fixed={...})",
            argument="restricted",
        )
    return extra


def likelihood_ratio_test(
    restricted: CLVModel,
    full: CLVModel,
    data: object = None,
    *,
    weights: npt.ArrayLike | None = None,
    **columns: npt.ArrayLike | None,
) -> LikelihoodRatioTest:
    """Likelihood-ratio test of a restricted fit against a fuller one that nests it.

    .. math:: \\Lambda = 2\\,[\\ell(\\hat\\theta_\\text{full}) -
        \\ell(\\hat\\theta_\\text{restricted})] \\;\\dot\\sim\\; \\chi^2_{df}

    under the restriction (Wilks 1938), with ``df`` the number of parameters the restricted
    fit holds fixed. Two fits are nested when they are of one model and the restricted one
    holds fixed (``fit(..., fixed={"r": 1.0})``) every parameter the full one holds fixed
    and more, or when the full model's class declares it nests the restricted model
    (a class attribute ``nests = {"SBG": {"c": 1.0}}``). With ``data`` both log-likelihoods
    are recomputed on it and each is checked against its fit's, which refuses fits on other
    data. A test at a boundary of the domain (a variance at 0) does not follow
    :math:`\\chi^2`; relmark's restrictions are inside the open domains.

    Parameters
    ----------
    restricted
        The fitted restricted model.
    full
        The fitted fuller model.
    data
        The data both were fitted on (recommended: it proves both fits saw the same data).
    weights
        Counts of identical rows of ``data``.
    **columns
        Data columns as arrays, overriding those of ``data``.

    Returns
    -------
    LikelihoodRatioTest
        The statistic, ``df``, p-value and the restrictions.

    Raises
    ------
    ArgumentError
        For models that are not fitted, not nested (naming ``restricted`` or ``full``), or
        MAP fits (a prior changes the statistic's distribution).
    DataError
        For fits on different numbers of customers, or whose log-likelihoods on ``data`` are
        not their fits' (naming ``data``).

    References
    ----------
    Wilks, S. S. (1938), "The large-sample distribution of the likelihood ratio for testing
    composite hypotheses", *Annals of Mathematical Statistics* 9(1), 60-62.

    Examples
    --------
    >>> from relmark.clv import BGNBD, likelihood_ratio_test
    >>> true = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> data = true.simulate([39.0] * 2000, rng=7)
    >>> full = BGNBD.fit(data)
    >>> restricted = BGNBD.fit(data, fixed={"r": 0.243})
    >>> test = likelihood_ratio_test(restricted, full, data)
    >>> test.df, bool(test.p_value > 0.05)
    (1, True)
    """
    for name, m in (("restricted", restricted), ("full", full)):
        _check_fitted(m, name)
        if m.fit_result.estimator == "MAP":
            raise ArgumentError(
                "is a MAP fit: a likelihood-ratio test compares maximum-likelihood fits",
                argument=name,
            )
    held = _restrictions(restricted, full)
    r_fit, f_fit = restricted.fit_result, full.fit_result
    if r_fit.nobs != f_fit.nobs:
        raise DataError(
            f"the fits saw {r_fit.nobs:,} and {f_fit.nobs:,} customers: not the same data",
            column="data",
        )
    ll_r, ll_f = r_fit.log_likelihood, f_fit.log_likelihood
    if data is not None or columns:
        sums = []
        for m, fitted in ((restricted, ll_r), (full, ll_f)):
            arrays, w = _likelihood_data(m, data, weights, columns)
            per_row = type(m).likelihood_for(m.settings).log_likelihood(m.params_array, *arrays)
            total = float(per_row @ (np.ones(per_row.shape[0]) if w is None else w))
            if not math.isclose(total, fitted, rel_tol=1e-8, abs_tol=1e-6):
                raise DataError(
                    f"{m.name}'s log-likelihood on these data is {total:.6f}, its fit's "
                    f"{fitted:.6f}: it was fitted on other data",
                    column="data",
                )
            sums.append(total)
        ll_r, ll_f = sums
    statistic = 2.0 * (ll_f - ll_r)
    df = len(held)
    return LikelihoodRatioTest(
        restricted=restricted.name,
        full=full.name,
        statistic=float(statistic),
        df=df,
        p_value=float(chi2.sf(max(statistic, 0.0), df)),
        restrictions=held,
    )
