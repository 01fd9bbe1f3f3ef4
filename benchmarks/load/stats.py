"""Percentiles of request timings, and their ratios to a floor."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank ``p``-th percentile (0 < p <= 100) of ``values``."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Summary:
    count: int
    p50: float
    p99: float
    max: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Summary:
        return cls(len(seconds), percentile(seconds, 50), percentile(seconds, 99),
                   max(seconds) if seconds else math.nan)


def ratio(value: float, floor: float) -> float:
    return value / floor if floor > 0 else math.inf


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"
