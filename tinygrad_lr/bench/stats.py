"""Paired ratios and a distribution-free 95% interval for their median.

Every round times each implementation once, back to back, so a slow moment of a shared machine
hits the implementations of one round alike. The ratio of two implementations is taken within
each round (`paired_ratios`), and the rounds' ratios are summarised by their median and an
interval for the median from order statistics (`median_interval`): for n ratios sorted
x₍₁₎ ≤ … ≤ x₍ₙ₎, the interval [x₍ₖ₎, x₍ₙ₋ₖ₊₁₎] holds the true median with probability
1 − 2·P(B ≤ k − 1), B ~ Binomial(n, ½), whatever the distribution of the ratios (each ratio
falls below the median with probability ½). k is the largest whose coverage is at least 95%:
for 31 rounds, k = 10, [x₍₁₀₎, x₍₂₂₎], coverage 97.1%. With 5 rounds or fewer no k reaches 95%;
the interval is then [min, max] and its coverage, below 95%, is reported with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

import numpy as np


@dataclass(frozen=True)
class Interval:
    """A median and its distribution-free interval, with the interval's exact coverage."""

    median: float
    low: float
    high: float
    coverage: float

    def __str__(self) -> str:
        return f"{self.median:.2f} [{self.low:.2f}, {self.high:.2f}]"


def paired_ratios(numerator: list[float], denominator: list[float]) -> list[float]:
    """Round by round: numerator[i] / denominator[i]."""
    if len(numerator) != len(denominator):
        raise ValueError(f"unpaired rounds: {len(numerator)} and {len(denominator)}")
    return [a / b for a, b in zip(numerator, denominator)]


def binomial_cdf_half(k: int, n: int) -> float:
    """P(B ≤ k) for B ~ Binomial(n, ½)."""
    return sum(comb(n, i) for i in range(k + 1)) / 2**n


def order_statistic_ranks(n: int, confidence: float = 0.95) -> tuple[int, int, float]:
    """1-based ranks (k, n − k + 1) of the interval for the median of n values, and its
    coverage: the narrowest with coverage ≥ `confidence`, or (1, n) when none reaches it."""
    if n < 1:
        raise ValueError("no values")
    k = 1
    while k + 1 <= (n + 1) // 2 and 1 - 2 * binomial_cdf_half(k, n) >= confidence:
        k += 1
    return k, n - k + 1, 1 - 2 * binomial_cdf_half(k - 1, n)


def median_interval(values: list[float], confidence: float = 0.95) -> Interval:
    """The median of `values` and its distribution-free interval (see the module docstring)."""
    ordered = sorted(values)
    low, high, coverage = order_statistic_ranks(len(ordered), confidence)
    return Interval(float(np.median(ordered)), ordered[low - 1], ordered[high - 1], coverage)
