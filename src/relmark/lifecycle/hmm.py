r"""Dynamic relationship states: a hidden Markov model of per-period purchase indicators.

After Netzer, Lattin & Srinivasan (2008), "A hidden Markov model of customer relationship
dynamics", *Marketing Science* 27(2): a customer moves between latent relationship states
(e.g. dormant, active, committed) as a homogeneous Markov chain with transition matrix
:math:`Q` and initial distribution :math:`\pi`; in state :math:`s` they buy in a period with
probability :math:`\theta_s`. Given 0/1 purchase sequences (``NaN``/-1 where unobserved),

- :func:`forward_backward` gives each period's posterior state probabilities and the
  log-likelihood (log space throughout, ``logsumexp``);
- :func:`viterbi` gives each customer's most likely state path;
- :func:`fit_hmm` estimates :math:`(\pi, Q, \theta)` by Baum-Welch (EM), from several starts.

This is the homogeneous, covariate-free core of Netzer et al.'s model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import logsumexp

from relmark._validation import FloatArray, as_numbers
from relmark.errors import DataError
from relmark.typing import RngLike

__all__ = ["HMMParams", "fit_hmm", "forward_backward", "simulate_hmm", "viterbi"]


@dataclass(frozen=True)
class HMMParams:
    """Initial distribution ``pi`` (k), transitions ``Q`` (k x k), purchase probabilities
    ``theta`` (k), ordered by ``theta`` (state 0 buys least)."""

    pi: FloatArray
    Q: FloatArray
    theta: FloatArray

    def __post_init__(self) -> None:
        k = self.pi.shape[0]
        if self.Q.shape != (k, k) or self.theta.shape != (k,):
            raise DataError("pi, Q and theta must have k, k x k and k entries")
        if not (np.allclose(self.pi.sum(), 1) and np.allclose(self.Q.sum(axis=1), 1)):
            raise DataError("pi and the rows of Q must sum to one")
        if not (np.isfinite(self.pi).all() and np.all(self.pi >= 0)) or not (
            np.isfinite(self.Q).all() and np.all(self.Q >= 0)
        ):
            raise DataError("pi and Q must be finite and non-negative")
        if not np.all((self.theta > 0) & (self.theta < 1)):  # NaN fails too
            raise DataError("purchase probabilities must lie in (0, 1)")

    def sorted(self) -> HMMParams:
        """The same model with states ordered by increasing purchase probability."""
        o = np.argsort(self.theta)
        return HMMParams(self.pi[o], self.Q[np.ix_(o, o)], self.theta[o])


def _obs(y: npt.ArrayLike) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    arr = as_numbers(y, "purchases")
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise DataError("purchases must be customers x periods (at least one)")
    seen = ~np.isnan(arr) & (arr != -1)
    vals = np.where(seen, arr, 0.0)
    if np.any(seen & (vals != 0) & (vals != 1)):
        raise DataError(
            "purchase indicators must be 0, 1 (or NaN / -1 when unobserved)", column="purchases"
        )
    return vals, seen


def _log_emission(params: HMMParams, y: FloatArray, seen: npt.NDArray[np.bool_]) -> FloatArray:
    th = params.theta
    le = y[..., None] * np.log(th) + (1 - y[..., None]) * np.log1p(-th)
    out: FloatArray = np.where(seen[..., None], le, 0.0)  # unobserved periods carry no data
    return out


def _passes(
    params: HMMParams, y: FloatArray, seen: npt.NDArray[np.bool_]
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Log forward and backward variables, log emissions and log-likelihoods."""
    le = _log_emission(params, y, seen)
    n, t_len, k = le.shape
    lq = np.log(params.Q)
    la = np.empty((n, t_len, k))
    la[:, 0] = np.log(params.pi) + le[:, 0]
    for t in range(1, t_len):
        la[:, t] = logsumexp(la[:, t - 1, :, None] + lq[None], axis=1) + le[:, t]
    lb = np.zeros((n, t_len, k))
    for t in range(t_len - 2, -1, -1):
        lb[:, t] = logsumexp(lq[None] + (le[:, t + 1] + lb[:, t + 1])[:, None, :], axis=2)
    ll = np.asarray(logsumexp(la[:, -1], axis=1), dtype=np.float64)
    return la, lb, le, ll


def forward_backward(params: HMMParams, purchases: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Posterior state probabilities (customers x periods x states) and per-customer
    log-likelihoods."""
    y, seen = _obs(purchases)
    la, lb, _, ll = _passes(params, y, seen)
    post: FloatArray = np.exp(la + lb - ll[:, None, None])
    return post, ll


def viterbi(params: HMMParams, purchases: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Most likely state path per customer (customers x periods)."""
    y, seen = _obs(purchases)
    le = _log_emission(params, y, seen)
    n, t_len, k = le.shape
    lq = np.log(params.Q)
    delta = np.log(params.pi) + le[:, 0]
    back = np.zeros((n, t_len, k), dtype=np.int64)
    for t in range(1, t_len):
        cand = delta[:, :, None] + lq[None]
        back[:, t] = cand.argmax(axis=1)
        delta = cand.max(axis=1) + le[:, t]
    path = np.empty((n, t_len), dtype=np.int64)
    path[:, -1] = delta.argmax(axis=1)
    for t in range(t_len - 1, 0, -1):
        path[:, t - 1] = back[np.arange(n), t, path[:, t]]
    return path


def fit_hmm(
    purchases: npt.ArrayLike,
    k: int = 2,
    *,
    n_starts: int = 3,
    max_iter: int = 500,
    tol: float = 1e-7,
    rng: RngLike = None,
) -> tuple[HMMParams, float]:
    """Baum-Welch estimates of a ``k``-state model and the total log-likelihood.

    Several random starts guard against local optima; the best is returned with states
    ordered by purchase probability.
    """
    for value, name, low in [(k, "k", 1), (n_starts, "n_starts", 1), (max_iter, "max_iter", 1)]:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise DataError(f"must be a whole number >= {low}, got {value!r}", column=name)
    y, seen = _obs(purchases)
    if not seen.any():
        raise DataError("no period of any customer is observed", column="purchases")
    gen = np.random.default_rng(rng)
    best: tuple[HMMParams, float] | None = None
    for _ in range(n_starts):
        theta = np.sort(gen.uniform(0.05, 0.95, size=k))
        q = gen.dirichlet(np.full(k, 1.0), size=k) * 0.3 + np.eye(k) * 0.7
        params = HMMParams(np.full(k, 1.0 / k), q / q.sum(axis=1, keepdims=True), theta)
        previous = -np.inf
        for _it in range(max_iter):
            la, lb, le, ll = _passes(params, y, seen)
            total = float(ll.sum())
            post = np.exp(la + lb - ll[:, None, None])
            lq = np.log(params.Q)
            # expected transitions: xi_t(i, j) = a_t(i) Q_ij e_{t+1}(j) b_{t+1}(j) / L
            log_xi = (
                la[:, :-1, :, None]
                + lq[None, None]
                + (le[:, 1:] + lb[:, 1:])[:, :, None, :]
                - ll[:, None, None, None]
            )
            xi = np.exp(log_xi).sum(axis=(0, 1))
            pi = post[:, 0].mean(axis=0)
            w = post * seen[..., None]
            theta = np.clip(
                (w * y[..., None]).sum(axis=(0, 1)) / w.sum(axis=(0, 1)), 1e-9, 1 - 1e-9
            )
            params = HMMParams(pi / pi.sum(), xi / xi.sum(axis=1, keepdims=True), theta)
            if total - previous < tol * max(1.0, abs(total)):
                break
            previous = total
        _, ll = forward_backward(params, np.where(seen, y, np.nan))
        total = float(ll.sum())
        if best is None or total > best[1]:
            best = (params.sorted(), total)
    assert best is not None
    return best


def simulate_hmm(
    params: HMMParams, n_customers: int, n_periods: int, *, rng: RngLike = None
) -> tuple[npt.NDArray[np.int64], FloatArray]:
    """Simulate state paths and purchase indicators."""
    gen = np.random.default_rng(rng)
    k = params.pi.shape[0]
    states = np.empty((n_customers, n_periods), dtype=np.int64)
    states[:, 0] = gen.choice(k, size=n_customers, p=params.pi)
    cum = np.cumsum(params.Q, axis=1)
    for t in range(1, n_periods):
        u = gen.random(n_customers)[:, None]
        states[:, t] = np.minimum((u > cum[states[:, t - 1]]).sum(axis=1), k - 1)
    buys = (gen.random((n_customers, n_periods)) < params.theta[states]).astype(np.float64)
    return states, buys
