"""Parameter constraints our estimators declare in `_parameter_constraints`, beyond scikit-learn's own.

scikit-learn's `Interval(Real, 0, None)` takes `True` (a bool is a Real) and `inf`, and `Interval(Real, ...)`
is silent on NaN only by accident of comparison. An experiment file is TOML, where `C = true`, `alpha = nan`
and `learning_rate = inf` are one typo away, so these intervals refuse booleans and non-finite numbers.
Both are `Interval` subclasses so that `sklearn.utils._param_validation` accepts them as constraints.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

from sklearn.utils._param_validation import Interval

__all__ = ["Finite", "NgramRange"]


class Finite(Interval):
    """An `Interval` of finite numbers, never a boolean: `Finite(Real, 0, None, closed="neither")` is C > 0."""

    def is_satisfied_by(self, val: object) -> bool:
        if isinstance(val, bool) or not isinstance(val, Real) or not math.isfinite(val):
            return False
        return super().is_satisfied_by(val)

    def __str__(self) -> str:
        return "a finite " + super().__str__().removeprefix("a ").removeprefix("an ")


class NgramRange(Interval):
    """A pair (min_n, max_n) of integers with left <= min_n <= max_n <= right, as a tuple or a list."""

    def __init__(self, left: int, right: int):
        super().__init__(Integral, left, right, closed="both")

    def is_satisfied_by(self, val: object) -> bool:
        if not isinstance(val, tuple | list) or len(val) != 2:
            return False
        low, high = val
        if any(isinstance(n, bool) or not isinstance(n, Integral) for n in (low, high)):
            return False
        return self.left <= low <= high <= self.right

    def __str__(self) -> str:
        return f"a pair [min_n, max_n] of integers with {self.left} <= min_n <= max_n <= {self.right}"
