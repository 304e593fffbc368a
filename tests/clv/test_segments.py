"""Per-segment fits, progress, and one model shared by concurrent callers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from relmark.clv import BGNBD, ParetoNBD, fit_segments
from relmark.datasets import load_cdnow_summary


def test_segments_collect_errors_and_report_progress() -> None:
    frame = load_cdnow_summary().to_frame()
    frame["seg"] = np.where(frame.index <= 20, "tiny", np.where(frame.index % 2 == 0, "a", "b"))
    seen: list[tuple[int, int, str]] = []
    fits = fit_segments(BGNBD, frame, by="seg", progress=lambda d, t, s: seen.append((d, t, s)))
    assert sorted(fits.models) == ["a", "b"]
    assert "20 customers" in fits.errors["tiny"]
    assert seen[-1][:2] == (3, 3)
    whole = BGNBD.fit(frame.drop(columns="seg"))
    table = fits.params()
    assert table["customers"].sum() == 2357 - 20
    assert abs(float(table["r"].to_dict()["a"]) - whole.params["r"]) < 0.05


def test_one_model_shared_by_threads_gives_the_serial_answers() -> None:
    s = load_cdnow_summary()
    models: list[BGNBD | ParetoNBD] = [
        BGNBD.fit(s),
        ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669),
    ]
    for model in models:
        serial = [
            model.conditional_expected_purchases(
                s.frequency[i::8], s.recency[i::8], s.T[i::8], t=39
            )
            for i in range(8)
        ]

        def work(i: int, model: BGNBD | ParetoNBD = model) -> np.ndarray:
            out = None
            for _ in range(25):
                out = model.conditional_expected_purchases(
                    s.frequency[i::8],
                    s.recency[i::8],
                    s.T[i::8],
                    t=39,
                )
            return np.asarray(out)

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(work, range(8)))
        for a, b in zip(serial, results, strict=True):
            np.testing.assert_array_equal(a, b)
