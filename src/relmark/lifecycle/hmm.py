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

from relmark._validation import FloatArray, as_numbers, check_count, check_number, check_rng
from relmark.errors import ArgumentError, DataError, ParameterError
from relmark.typing import RngLike

MAX_STATES = 20
"""The most hidden states :func:`fit_hmm` estimates (0/1 purchases identify few states)."""
MAX_STARTS = 1000
"""The most random starts of :func:`fit_hmm`."""
MAX_ITER = 10_000
"""The most EM iterations per start of :func:`fit_hmm` (``tol=0`` runs them all; the default
is 500)."""
MAX_CELLS = 2**31
"""The most customers x periods :func:`simulate_hmm` draws (16 GB of states and purchases)."""
MAX_HMM_CELLS = 2**27
"""The most customers x periods x states :func:`forward_backward`, :func:`viterbi` and
:func:`fit_hmm` take at once (each pass holds a few arrays of that size, 1 GB each)."""

__all__ = ["HMMParams", "fit_hmm", "forward_backward", "simulate_hmm", "viterbi"]


@dataclass(frozen=True)
class HMMParams:
    """Initial distribution ``pi`` (k), transitions ``Q`` (k x k), purchase probabilities
    ``theta`` (k), ordered by ``theta`` (state 0 buys least).

    Array-likes are converted to float64 arrays.

    Raises
    ------
    ParameterError
        Naming ``pi``, ``Q`` or ``theta``: text or booleans, not k, k x k and k entries
        (k >= 1), NaN, negative, ``pi`` or a row of ``Q`` not summing to one (within 1e-9),
        ``theta`` outside (0, 1).
    """

    pi: FloatArray
    Q: FloatArray
    theta: FloatArray

    def __post_init__(self) -> None:
        arrays = {}
        for name in ("pi", "Q", "theta"):
            try:
                arrays[name] = as_numbers(getattr(self, name), name)
            except DataError as exc:
                raise ParameterError(str(exc), argument=name) from None
            object.__setattr__(self, name, arrays[name])
        pi, q, theta = arrays["pi"], arrays["Q"], arrays["theta"]
        if pi.ndim != 1 or pi.size == 0:
            raise ParameterError(f"one share per state, got shape {pi.shape}", argument="pi")
        k = pi.shape[0]
        if q.shape != (k, k):
            raise ParameterError(f"must be {k} x {k}, got shape {q.shape}", argument="Q")
        if theta.shape != (k,):
            msg = f"must have {k} entries, got shape {theta.shape}"
            raise ParameterError(msg, argument="theta")
        for arr, name in ((pi, "pi"), (q, "Q")):
            with np.errstate(invalid="ignore"):
                ok = np.isfinite(arr).all() and np.all(arr >= 0)
                sums = np.atleast_1d(arr.sum(axis=-1))
            if not ok:
                raise ParameterError("must be finite and non-negative", argument=name)
            if not np.all(np.abs(sums - 1.0) <= 1e-9):
                raise ParameterError(
                    "must sum to one" + (" in every row" if name == "Q" else ""), argument=name
                )
        if not np.all((theta > 0) & (theta < 1)):  # NaN fails too
            raise ParameterError("purchase probabilities must lie in (0, 1)", argument="theta")

    def sorted(self) -> HMMParams:
        """The same model with states ordered by increasing purchase probability.

        Returns
        -------
        HMMParams
        """
        o = np.argsort(self.theta)
        return HMMParams(self.pi[o], self.Q[np.ix_(o, o)], self.theta[o])


def _obs(
    y: npt.ArrayLike, *, min_periods: int = 1, k: int = 1
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """0/1 purchases (booleans allowed: bought or not), NaN or -1 where unobserved; at most
    :data:`MAX_HMM_CELLS` customers x periods x ``k`` states."""
    try:
        raw = y if isinstance(y, np.ndarray) else np.asarray(y)
    except ValueError:  # ragged lists
        raise DataError(
            "purchases are not a customers x periods table", column="purchases"
        ) from None
    # booleans are natural purchase indicators (bought or not): taken as 1/0 here
    arr = raw.astype(np.float64) if raw.dtype == np.bool_ else as_numbers(y, "purchases")
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] < min_periods:
        raise DataError(
            f"purchases must be customers x periods (at least one customer and {min_periods} "
            f"period{'s' if min_periods > 1 else ''}), got shape {arr.shape}",
            column="purchases",
        )
    if arr.shape[0] * arr.shape[1] * k > MAX_HMM_CELLS:  # before any array of that size
        raise DataError(
            f"{arr.shape[0]:,} customers x {arr.shape[1]:,} periods x {k} states is more than "
            f"{MAX_HMM_CELLS:,} cells: pass the customers in batches (they are independent)",
            column="purchases",
        )
    seen = ~np.isnan(arr) & (arr != -1)
    vals = np.where(seen, arr, 0.0)
    bad = (seen & (vals != 0) & (vals != 1)).any(axis=1)
    if bad.any():
        raise DataError(
            "purchase indicators must be 0, 1 (or NaN / -1 when unobserved)",
            column="purchases",
            rows=np.flatnonzero(bad).tolist(),
        )
    return vals, seen


def _params(params: object) -> HMMParams:
    if not isinstance(params, HMMParams):
        raise ArgumentError(f"must be HMMParams, got {type(params).__name__}", argument="params")
    return params


def _log(x: FloatArray) -> FloatArray:
    """log with log(0) = -inf and no warning (a zero transition or start share is allowed)."""
    with np.errstate(divide="ignore"):
        out: FloatArray = np.log(x)
    return out


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
    lq = _log(params.Q)
    la = np.empty((n, t_len, k))
    la[:, 0] = _log(params.pi) + le[:, 0]
    for t in range(1, t_len):
        la[:, t] = logsumexp(la[:, t - 1, :, None] + lq[None], axis=1) + le[:, t]
    lb = np.zeros((n, t_len, k))
    for t in range(t_len - 2, -1, -1):
        lb[:, t] = logsumexp(lq[None] + (le[:, t + 1] + lb[:, t + 1])[:, None, :], axis=2)
    ll = np.asarray(logsumexp(la[:, -1], axis=1), dtype=np.float64)
    return la, lb, le, ll


def forward_backward(params: HMMParams, purchases: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Posterior state probabilities (customers x periods x states) and per-customer
    log-likelihoods.

    Parameters
    ----------
    params
        The model.
    purchases
        Customers x periods of 0/1 (or booleans), NaN or -1 where unobserved.

    Returns
    -------
    posterior, log_likelihood
        Each period's state probabilities (summing to one) and each customer's
        log-likelihood.

    Raises
    ------
    ArgumentError
        ``params`` not :class:`HMMParams`.
    DataError
        Naming ``purchases``: text, not 2-d, no customers or periods, values other than
        0/1/NaN/-1 (with the rows), more than :data:`MAX_HMM_CELLS` customers x periods x
        states, or a sequence impossible under the model (e.g. a zero transition it needs).

    Examples
    --------
    >>> import numpy as np
    >>> m = HMMParams(np.array([1.0]), np.array([[1.0]]), np.array([0.5]))
    >>> float(forward_backward(m, [[1, 0]])[1][0]) == float(np.log(0.25))
    True
    """
    params = _params(params)
    y, seen = _obs(purchases, k=params.pi.shape[0])
    la, lb, _, ll = _passes(params, y, seen)
    impossible = ~np.isfinite(ll)
    if impossible.any():  # pragma: no cover - theta in (0, 1) makes every sequence possible
        raise DataError(
            "these sequences are impossible under the model (probability 0)",
            column="purchases",
            rows=np.flatnonzero(impossible).tolist(),
        )
    post: FloatArray = np.exp(la + lb - ll[:, None, None])
    return post, ll


def viterbi(params: HMMParams, purchases: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Most likely state path per customer (customers x periods).

    Parameters
    ----------
    params
        The model.
    purchases
        Customers x periods of 0/1 (or booleans), NaN or -1 where unobserved.

    Returns
    -------
    numpy.ndarray of int64
        State indices, customers x periods.

    Raises
    ------
    ArgumentError, DataError
        As :func:`forward_backward`.

    Examples
    --------
    >>> import numpy as np
    >>> m = HMMParams(np.array([0.5, 0.5]), np.eye(2), np.array([0.1, 0.9]))
    >>> viterbi(m, [[1, 1, 1]]).tolist()
    [[1, 1, 1]]
    """
    params = _params(params)
    y, seen = _obs(purchases, k=params.pi.shape[0])
    le = _log_emission(params, y, seen)
    n, t_len, k = le.shape
    lq = _log(params.Q)
    delta = _log(params.pi) + le[:, 0]
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

    Parameters
    ----------
    purchases
        Customers x periods (at least 2) of 0/1 (or booleans), NaN or -1 where unobserved.
    k
        Hidden states, a whole number in 1..MAX_STATES.
    n_starts, max_iter
        Random starts (at most :data:`MAX_STARTS`) and EM iterations per start (at most
        :data:`MAX_ITER`), whole numbers >= 1.
    tol
        Relative change of the log-likelihood that ends a start, a finite number >= 0.
    rng
        Random generator or seed of the starts.

    Returns
    -------
    params, log_likelihood
        The best start's estimates and its total log-likelihood.

    Raises
    ------
    ArgumentError
        Naming ``k``, ``n_starts``, ``max_iter``, ``tol`` or ``rng``: NaN, text, booleans,
        fractional, out of range.
    DataError
        Naming ``purchases``: as :func:`forward_backward`, fewer than 2 periods (no
        transition to learn from), or no observed period at all.
    """
    k = check_count(k, "k", minimum=1)
    if k > MAX_STATES:
        raise ArgumentError(f"at most {MAX_STATES} states, got {k}", argument="k")
    n_starts = check_count(n_starts, "n_starts", minimum=1)
    if n_starts > MAX_STARTS:
        raise ArgumentError(f"at most {MAX_STARTS} starts, got {n_starts}", argument="n_starts")
    max_iter = check_count(max_iter, "max_iter", minimum=1)
    if max_iter > MAX_ITER:
        raise ArgumentError(
            f"at most {MAX_ITER:,} iterations per start, got {max_iter:,}", argument="max_iter"
        )
    tol = check_number(tol, "tol", low=0.0)
    gen = check_rng(rng)
    y, seen = _obs(purchases, min_periods=2, k=k)
    if not seen.any():
        raise DataError("no period of any customer is observed", column="purchases")
    block = max(1, 2**25 // (y.shape[0] * k * k))
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
            lq = _log(params.Q)
            # expected transitions: xi_t(i, j) = a_t(i) Q_ij e_{t+1}(j) b_{t+1}(j) / L,
            # summed over blocks of periods of at most ~2^25 cells (memory stays bounded)
            xi = np.zeros((k, k))
            for t0 in range(0, y.shape[1] - 1, block):
                t1 = min(t0 + block, y.shape[1] - 1)
                log_xi = (
                    la[:, t0:t1, :, None]
                    + lq[None, None]
                    + (le[:, t0 + 1 : t1 + 1] + lb[:, t0 + 1 : t1 + 1])[:, :, None, :]
                    - ll[:, None, None, None]
                )
                xi += np.exp(log_xi).sum(axis=(0, 1))
            pi = post[:, 0].mean(axis=0)
            w = post * seen[..., None]
            weight = w.sum(axis=(0, 1))
            # a state with (almost) no posterior weight keeps its previous theta and row of Q
            # instead of 0/0
            theta = np.where(
                weight > 1e-300,
                np.clip(
                    (w * y[..., None]).sum(axis=(0, 1)) / np.maximum(weight, 1e-300),
                    1e-9,
                    1 - 1e-9,
                ),
                params.theta,
            )
            rows = xi.sum(axis=1, keepdims=True)
            q_new = np.where(rows > 1e-300, xi / np.maximum(rows, 1e-300), params.Q)
            params = HMMParams(pi / pi.sum(), q_new, theta)
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
    """Simulate state paths and purchase indicators.

    Parameters
    ----------
    params
        The model.
    n_customers, n_periods
        Whole numbers >= 1.
    rng
        Random generator or seed.

    Returns
    -------
    states, purchases
        Customers x periods of state indices and of 0.0/1.0 purchases.

    Raises
    ------
    ArgumentError
        ``params`` not :class:`HMMParams`; ``n_customers`` or ``n_periods`` not a whole
        number >= 1, or more than :data:`MAX_CELLS` together (the larger is named); ``rng``
        not a Generator, a seed >= 0 or None.

    Examples
    --------
    >>> import numpy as np
    >>> m = HMMParams(np.array([1.0, 0.0]), np.eye(2), np.array([0.2, 0.9]))
    >>> states, buys = simulate_hmm(m, 3, 4, rng=1)
    >>> states.tolist()
    [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    """
    params = _params(params)
    n_customers = check_count(n_customers, "n_customers", minimum=1)
    n_periods = check_count(n_periods, "n_periods", minimum=1)
    gen = check_rng(rng)
    k = params.pi.shape[0]
    if n_customers * n_periods > MAX_CELLS:  # name the one that makes it too large
        raise ArgumentError(
            f"{n_customers:,} customers x {n_periods:,} periods is more than {MAX_CELLS:,} cells",
            argument="n_customers" if n_customers >= n_periods else "n_periods",
        )
    try:
        states = np.empty((n_customers, n_periods), dtype=np.int64)
        states[:, 0] = 0  # touch the memory: lazily allocated arrays fail here, not later
    except MemoryError:  # pragma: no cover - a machine with less than MAX_CELLS x 16 bytes
        raise ArgumentError(
            f"{n_customers:,} x {n_periods:,} periods do not fit in memory",
            argument="n_customers" if n_customers >= n_periods else "n_periods",
        ) from None
    states[:, 0] = gen.choice(k, size=n_customers, p=params.pi)
    cum = np.cumsum(params.Q, axis=1)
    for t in range(1, n_periods):
        u = gen.random(n_customers)[:, None]
        states[:, t] = np.minimum((u > cum[states[:, t - 1]]).sum(axis=1), k - 1)
    buys = (gen.random((n_customers, n_periods)) < params.theta[states]).astype(np.float64)
    return states, buys
