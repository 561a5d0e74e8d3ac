"""``require_int``: the one check of user-given counts (top k and the like)."""

import numpy as np
import pytest

from vtp.utils.checks import require_int


def test_takes_ints_in_range_and_numpy_ints():
    assert require_int('topk', 3, 1) == 3
    assert require_int('topk', np.int64(100), 1, 100) == 100
    assert type(require_int('topk', np.int32(2), 0)) is int


@pytest.mark.parametrize(
    'value, maximum, message',
    [
        (0, None, 'topk must be an int >= 1, got 0'),
        (101, 100, 'topk must be an int in 1..100, got 101'),
        (2.0, None, 'topk must be an int >= 1, got 2.0'),
        (True, None, 'topk must be an int >= 1, got True'),
        ('5', None, "topk must be an int >= 1, got '5'"),
        (None, None, 'topk must be an int >= 1, got None'),
    ],
)
def test_refuses_what_is_not_an_int_in_range(value, maximum, message):
    with pytest.raises(ValueError) as error:
        require_int('topk', value, 1, maximum)
    assert str(error.value) == message
