"""Checks of user-given settings, with errors that name them."""

import argparse
import math
from numbers import Integral, Real
from typing import Any, Optional, TypeGuard


def is_int(value: Any) -> TypeGuard[int]:
    """Whether ``value`` is an integer (numpy's too) and not a bool."""
    return isinstance(value, Integral) and not isinstance(value, bool)


def require_int(name: str, value: Any, minimum: int, maximum: Optional[int] = None) -> int:
    """``value`` as an int in ``minimum..maximum``, else a ValueError naming ``name``.

    bools, floats and strings are refused (``topk=2.5`` or ``True`` is a mistake, not 2 or 1);
    numpy integers are taken.
    """
    if is_int(value) and minimum <= value and (maximum is None or value <= maximum):
        return int(value)
    bounds = f'in {minimum}..{maximum}' if maximum is not None else f'>= {minimum}'
    raise ValueError(f'{name} must be an int {bounds}, got {value!r}')


def require_number(
    name: str, value: Any, positive: bool = False, minimum: Optional[float] = None
) -> float:
    """``value`` as a finite float (above 0 with ``positive``, at least ``minimum`` when given),
    else a ValueError naming ``name``. bools, strings, NaN and infinities are refused; ints and
    numpy numbers are taken.
    """
    valid = isinstance(value, Real) and not isinstance(value, bool)
    try:
        valid = valid and math.isfinite(value)
    except OverflowError:  # an int beyond float's range
        valid = False
    if valid and (not positive or value > 0) and (minimum is None or value >= minimum):
        return float(value)
    bound = '' if minimum is None else f' >= {minimum}'
    raise ValueError(
        f'{name} must be a {"positive" if positive else "finite"} number{bound}, got {value!r}'
    )


def positive_int(text: str) -> int:
    """``argparse`` type of an option that is an int >= 1 (its error names the option)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'{text!r} is not a whole number') from None
    if value < 1:
        raise argparse.ArgumentTypeError(f'must be >= 1, got {value}')
    return value


def positive_float(text: str) -> float:
    """``argparse`` type of an option that is a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'{text!r} is not a number') from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f'must be a finite number > 0, got {text}')
    return value
