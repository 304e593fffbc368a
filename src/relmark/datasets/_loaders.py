"""Loaders of the bundled data sets."""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from relmark._validation import check_choice, check_flag, check_number
from relmark.data.summary import RFMSummary
from relmark.errors import RelmarkError

__all__ = [
    "RETENTION_TABLES",
    "load_cdnow_sample_transactions",
    "load_cdnow_summary",
    "load_cdnow_transactions",
    "load_donations",
    "load_retention",
]


def _lifetimes_file(name: str) -> Path:
    """Path of a data file shipped in the lifetimes package, found without importing it."""
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        raise RelmarkError("the lifetimes package (a relmark dependency) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / name
    if not path.is_file():
        raise RelmarkError(f"lifetimes does not ship {name} (looked in {path.parent})")
    return path


def load_cdnow_transactions() -> pd.DataFrame:
    """The full CDNOW transaction log.

    Source: CDNOW, a cohort of 23,570 customers who made their first purchase in the first
    quarter of 1997, followed to the end of June 1998 (Fader & Hardie; shipped by lifetimes as
    ``CDNOW_master.txt``).

    Returns
    -------
    pandas.DataFrame
        69,659 rows with columns ``customer_id`` (int), ``date`` (datetime64, daily),
        ``cds`` (number of CDs bought) and ``amount`` (US dollars).

    Examples
    --------
    >>> log = load_cdnow_transactions()
    >>> log.shape, log["customer_id"].nunique()
    ((69659, 4), 23570)
    """
    df = pd.read_csv(
        _lifetimes_file("CDNOW_master.txt"),
        sep=r"\s+",
        skiprows=1,
        header=None,
        names=["customer_id", "date", "cds", "amount"],
        dtype={"customer_id": np.int64, "date": str, "cds": np.int64, "amount": np.float64},
    )
    df["date"] = pd.to_datetime(df["date"], format="%Y%m%d")
    return df


def load_cdnow_sample_transactions() -> pd.DataFrame:
    """The CDNOW 1/10 sample log (2357 customers) used in the BG/NBD and Pareto/NBD papers.

    Returns
    -------
    pandas.DataFrame
        6,919 rows with columns ``customer_id`` (the sample's id, 1..2357), ``master_id``
        (the id in the full log), ``date``, ``cds`` and ``amount`` (US dollars).

    Examples
    --------
    >>> log = load_cdnow_sample_transactions()
    >>> log.shape, log["customer_id"].nunique()
    ((6919, 5), 2357)
    """
    df = pd.read_csv(
        _lifetimes_file("CDNOW_sample.txt"),
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "amount"],
        dtype={"master_id": np.int64, "customer_id": np.int64, "date": str},
    )
    df["date"] = pd.to_datetime(df["date"], format="%Y%m%d")
    return df[["customer_id", "master_id", "date", "cds", "amount"]]


def load_cdnow_summary(*, with_monetary: bool = False) -> RFMSummary:
    """The published summary of the CDNOW 1/10 sample, in weeks (2357 customers).

    Calibration period: the first 39 weeks (1997-01-01 to 1997-09-30), times in weeks with day
    resolution, two decimals, as printed with Fader, Hardie & Lee (2005).

    Parameters
    ----------
    with_monetary
        Include ``monetary_value``, the mean value of the repeat purchases (the data of the
        Gamma-Gamma example; 946 repeat buyers). A real boolean (ArgumentError otherwise).

    Returns
    -------
    RFMSummary
        One row per customer, ``time_unit`` ``"W"``.

    Examples
    --------
    >>> s = load_cdnow_summary(with_monetary=True)
    >>> len(s), int((s.frequency > 0).sum()), s.time_unit
    (2357, 946, 'W')
    """
    if check_flag(with_monetary, "with_monetary"):
        df = pd.read_csv(_lifetimes_file("cdnow_customers_summary_with_transactions.csv"))
        return RFMSummary(
            customer_id=df["ID"].to_numpy(),
            frequency=df["x"].to_numpy(dtype=np.float64),
            recency=df["t_x"].to_numpy(dtype=np.float64),
            T=df["T"].to_numpy(dtype=np.float64),
            monetary_value=df["zbar"].to_numpy(dtype=np.float64),
            time_unit="W",
        )
    df = pd.read_csv(_lifetimes_file("cdnow_customers_summary.csv"))
    return RFMSummary(
        customer_id=df["ID"].to_numpy(),
        frequency=df["frequency"].to_numpy(dtype=np.float64),
        recency=df["recency"].to_numpy(dtype=np.float64),
        T=df["T"].to_numpy(dtype=np.float64),
        time_unit="W",
    )


def load_donations() -> pd.DataFrame:
    """Repeat donations of 11,104 first-time supporters of a non-profit, 1995-2001.

    Source: Fader, Hardie & Shang (2010), *Marketing Science* 29(6): each row is a pattern of
    ``frequency`` (donations in the 6 annual opportunities after the first), ``recency`` (the
    opportunity of the last one), ``periods`` (6) and ``weights`` (number of donors with it).

    Returns
    -------
    pandas.DataFrame
        22 patterns with the columns ``frequency``, ``recency``, ``periods`` (int64) and
        ``weights``.

    Examples
    --------
    >>> d = load_donations()
    >>> d.shape, int(d["weights"].sum())
    ((22, 4), 11104)
    """
    df = pd.read_csv(_lifetimes_file("donations.csv"))
    return df.astype({"frequency": np.int64, "recency": np.int64, "periods": np.int64})


RETENTION_TABLES: Mapping[str, tuple[float, ...]] = MappingProxyType(
    {
        "regular": (100.0, 63.1, 46.8, 38.2, 32.6, 28.9, 26.2, 24.1, 22.3, 20.7, 19.4, 18.3, 17.3),
        "high_end": (100.0, 86.9, 74.3, 65.3, 59.3, 55.1, 51.7, 49.1, 46.8, 44.5, 42.7, 40.9, 39.4),
    }
)
"""Percent of a cohort still subscribed at the start of years 0..12.

Fader & Hardie (2007), "How to project customer retention", *Journal of Interactive Marketing*
21(1), the "regular" and "high end" customer segments. Years 1-7 are the calibration period of
the paper's sBG fits.
"""


_MAX_COHORT = 2**53
"""The largest cohort whose counts are exact in float64 (and fit in int64)."""


def load_retention(segment: str = "regular", *, cohort_size: int = 1000) -> pd.DataFrame:
    """A retention table as counts of a cohort still active at the start of each year.

    Parameters
    ----------
    segment
        ``"regular"`` or ``"high_end"``.
    cohort_size
        Initial cohort (the paper's percentages times ``cohort_size / 100``, rounded): a
        whole number from 1 to 2**53.

    Returns
    -------
    pandas.DataFrame
        Columns ``year`` (0..12), ``percent_alive`` and ``alive``.

    Raises
    ------
    ArgumentError
        Naming ``segment`` (not one of :data:`RETENTION_TABLES`) or ``cohort_size`` (not a
        whole number in 1 .. 2**53).

    Examples
    --------
    >>> load_retention("regular")["alive"].head(4).tolist()
    [1000, 631, 468, 382]
    """
    check_choice(segment, "segment", tuple(RETENTION_TABLES))
    size = check_number(cohort_size, "cohort_size", low=1, high=_MAX_COHORT, whole=True)
    pct = np.array(RETENTION_TABLES[segment])
    return pd.DataFrame(
        {
            "year": np.arange(pct.shape[0]),
            "percent_alive": pct,
            "alive": np.round(pct * size / 100.0).astype(np.int64),
        }
    )
