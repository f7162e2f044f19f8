"""Comparing arrays without being fooled by NaN or inf.

Python's `max` over a list that holds a NaN returns whatever came first, and NumPy's
`assert_allclose` counts NaN == NaN and inf == inf as agreement. A comparison that passes because
both sides broke the same way proves nothing, so every comparison the project prints or asserts
goes through these two functions: a NaN or inf on either side is a failure, named.
"""

from __future__ import annotations

import numpy as np


def nonfinite(array: object, what: str) -> str | None:
    """ "NaN in {what}" or "inf in {what}" when `array` holds one (NaN named first), else None."""
    a = np.asarray(array)
    if a.dtype.kind not in "fc":
        return None
    if np.isnan(a).any():
        return f"NaN in {what}"
    if np.isinf(a).any():
        return f"inf in {what}"
    return None


def largest_difference(a: object, b: object) -> float:
    """The largest |a − b| over all elements; NaN, never a number, when either side holds a NaN
    or an inf (inf − inf is NaN, and inf − 1 is not a difference worth reporting as a size)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return float("nan")
    return float(np.max(np.abs(a - b), initial=0.0))


def within(difference: float, tolerance: float) -> bool:
    """True when `difference` is a finite number no larger than `tolerance` (NaN is never)."""
    return bool(np.isfinite(difference) and difference <= tolerance)
