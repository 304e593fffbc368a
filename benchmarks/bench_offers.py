"""Next-best offer at scale: association rules on 1M baskets, item-to-item on 1M customers x 10k
items, the offer chooser for 1M customers.

Usage::

    python benchmarks/bench_offers.py [--baskets 1M] [--customers 1M] [--items 10k]

Each measurement runs in a fresh process (so the peaks do not mix) and reports the wall time
and the CPU time of the relmark calls (data generation excluded; on a loaded machine the CPU
time is the steadier number) and the peak resident memory of the process (the generated data
included). The data are synthetic, with the skew of real retail:

- rules: baskets of 1 + Poisson(3) items drawn from 1,000 items with Zipf(1.1)-like
  popularity, plus 20 planted pairs (B joins A with probability 0.5); ``min_support=0.001``;
- item-to-item: customers with 1 + Poisson(7) distinct items from ``--items`` items with the
  same popularity; ``item_similarity(measure="cosine", top_k=20)`` then
  ``recommend_items(top_k=10)`` for every customer;
- offers: 5 candidate offers per customer (p_response, margin, cost), Kotler levels, 2% open
  complaints, some contacts already made; ``choose_offers`` with ``max_contacts=2`` and a
  contact cost per channel.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time
from typing import Any


def _count(text: str) -> int:
    text = text.strip().upper()
    scale = {"K": 1_000, "M": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("KM")) * scale)


def _popular(rng: Any, n_items: int, size: int) -> Any:
    import numpy as np

    w = 1.0 / np.arange(1, n_items + 1) ** 1.1
    return rng.choice(n_items, size=size, p=w / w.sum())


def _baskets(n: int, n_items: int, rng: Any) -> Any:
    import numpy as np
    import scipy.sparse as sp

    length = 1 + rng.poisson(3.0, n)
    rows = np.repeat(np.arange(n), length)
    cols = _popular(rng, n_items, int(length.sum()))
    for a in range(20):  # planted pairs: item 100+2a pulls in 101+2a
        holders = np.unique(rows[cols == 100 + 2 * a])
        joins = holders[rng.random(holders.shape[0]) < 0.5]
        rows = np.r_[rows, joins]
        cols = np.r_[cols, np.full(joins.shape[0], 101 + 2 * a)]
    m = sp.csr_matrix((np.ones(rows.shape[0], np.int8), (rows, cols)), shape=(n, n_items))
    m.data[:] = 1
    return m


def bench_rules(n: int, queue: Any) -> None:
    import numpy as np

    from relmark.decide import association_rules, frequent_itemsets

    x = _baskets(n, 1_000, np.random.default_rng(0))
    t0, c0 = time.perf_counter(), time.process_time()
    sets = frequent_itemsets(x, min_support=0.001)
    t1 = time.perf_counter()
    rules = association_rules(sets, min_confidence=0.2)
    t2 = time.perf_counter()
    queue.put(
        {
            "what": f"rules on {n:,} baskets x 1,000 items (nnz {x.nnz:,})",
            "seconds": t2 - t0,
            "cpu": time.process_time() - c0,
            "detail": f"{len(sets.itemsets):,} itemsets in {t1 - t0:.2f} s, "
            f"{len(rules.support):,} rules in {t2 - t1:.2f} s",
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    )


def bench_item_to_item(n: int, n_items: int, queue: Any) -> None:
    import numpy as np
    import scipy.sparse as sp

    from relmark.decide import item_similarity, recommend_items

    rng = np.random.default_rng(1)
    length = 1 + rng.poisson(7.0, n)
    rows = np.repeat(np.arange(n), length)
    cols = _popular(rng, n_items, int(length.sum()))
    x = sp.csr_matrix((np.ones(rows.shape[0], np.int8), (rows, cols)), shape=(n, n_items))
    t0, c0 = time.perf_counter(), time.process_time()
    sim = item_similarity(x, measure="cosine", top_k=20)
    t1 = time.perf_counter()
    recs = recommend_items(sim, x, top_k=10)
    t2 = time.perf_counter()
    queue.put(
        {
            "what": f"item-to-item on {n:,} customers x {n_items:,} items (nnz {x.nnz:,})",
            "seconds": t2 - t0,
            "cpu": time.process_time() - c0,
            "detail": f"similarity {t1 - t0:.2f} s, {len(recs):,} recommendations {t2 - t1:.2f} s",
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    )


def bench_offers(n: int, queue: Any) -> None:
    import numpy as np
    import pandas as pd

    from relmark.decide import ContactPolicy, choose_offers

    rng = np.random.default_rng(2)
    k = 5
    candidates = pd.DataFrame(
        {
            "customer_id": np.repeat(np.arange(n), k),
            "offer": np.tile(np.array([f"O{i}" for i in range(k)], dtype=object), n),
            "p_response": rng.beta(1, 20, n * k),
            "margin": rng.gamma(2.0, 10.0, n * k),
            "cost": rng.uniform(0.1, 1.0, n * k),
        }
    )
    levels = np.array(["basic", "reactive", "accountable", "proactive", "partnership"], object)
    customers = pd.DataFrame(
        {
            "level": levels[rng.integers(0, 5, n)],
            "open_complaint": rng.random(n) < 0.02,
            "contacts": rng.integers(0, 3, n),
        },
        index=pd.Index(np.arange(n), name="customer_id"),
    )
    policy = ContactPolicy(max_contacts=2, contact_cost={"email": 0.05, "phone": 2.0})
    t0, c0 = time.perf_counter(), time.process_time()
    plan = choose_offers(candidates, customers=customers, policy=policy)
    t1 = time.perf_counter()
    queue.put(
        {
            "what": f"offers for {n:,} customers x {k} candidates",
            "seconds": t1 - t0,
            "cpu": time.process_time() - c0,
            "detail": f"{len(plan.offers):,} offers, {len(plan.skipped):,} customers skipped",
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    )


def _run(target: Any, *args: Any) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    p = ctx.Process(target=target, args=(*args, queue))
    p.start()
    out: dict[str, Any] = queue.get()
    p.join()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baskets", default="1M")
    parser.add_argument("--customers", default="1M")
    parser.add_argument("--items", default="10k")
    args = parser.parse_args()
    results = [
        _run(bench_rules, _count(args.baskets)),
        _run(bench_item_to_item, _count(args.customers), _count(args.items)),
        _run(bench_offers, _count(args.customers)),
    ]
    for r in results:
        print(
            f"{r['what']}: {r['seconds']:.2f} s wall, {r['cpu']:.2f} s CPU, "
            f"peak {r['peak_mb']:,.0f} MB ({r['detail']})"
        )


if __name__ == "__main__":
    main()
