"""Checks of user-given settings, with errors that name them."""

from numbers import Integral
from typing import Any, Optional


def require_int(name: str, value: Any, minimum: int, maximum: Optional[int] = None) -> int:
    """``value`` as an int in ``minimum..maximum``, else a ValueError naming ``name``.

    bools, floats and strings are refused (``topk=2.5`` or ``True`` is a mistake, not 2 or 1);
    numpy integers are taken.
    """
    valid = isinstance(value, Integral) and not isinstance(value, bool)
    if valid and minimum <= value and (maximum is None or value <= maximum):
        return int(value)
    bounds = f'in {minimum}..{maximum}' if maximum is not None else f'>= {minimum}'
    raise ValueError(f'{name} must be an int {bounds}, got {value!r}')
