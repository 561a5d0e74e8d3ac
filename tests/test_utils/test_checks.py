"""``require_int`` and ``require_number``: the checks of user-given counts (top k and the like)
and numbers (temperatures, scheduled values)."""

import argparse

import numpy as np
import pytest

from vtp.utils.checks import is_int, positive_float, positive_int, require_int, require_number


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


def test_takes_finite_numbers_as_floats():
    assert require_number('t', 3) == 3.0 and type(require_number('t', 3)) is float
    assert require_number('t', np.float32(0.5), positive=True) == 0.5
    assert require_number('t', -1e-9) == -1e-9


@pytest.mark.parametrize(
    'value, positive, message',
    [
        (0, True, 't must be a positive number, got 0'),
        (-0.5, True, 't must be a positive number, got -0.5'),
        (float('nan'), False, 't must be a finite number, got nan'),
        (float('-inf'), False, 't must be a finite number, got -inf'),
        (True, False, 't must be a finite number, got True'),
        ('0.3', True, "t must be a positive number, got '0.3'"),
        (None, False, 't must be a finite number, got None'),
    ],
)
def test_refuses_what_is_not_a_number_in_range(value, positive, message):
    with pytest.raises(ValueError) as error:
        require_number('t', value, positive)
    assert str(error.value) == message


def test_an_int_beyond_floats_is_named_not_an_overflow():
    with pytest.raises(ValueError, match='t must be a finite number, got 1000'):
        require_number('t', 10**400)


@pytest.mark.parametrize(
    'value, message',
    [
        (-1, 'mb must be a finite number >= 0, got -1'),
        (-1e-9, 'mb must be a finite number >= 0, got -1e-09'),
        ('1', "mb must be a finite number >= 0, got '1'"),
        (float('inf'), 'mb must be a finite number >= 0, got inf'),
    ],
)
def test_a_minimum_is_named_and_kept(value, message):
    assert require_number('mb', 0, minimum=0) == 0.0
    assert require_number('mb', 2.5, minimum=0) == 2.5
    with pytest.raises(ValueError) as error:
        require_number('mb', value, minimum=0)
    assert str(error.value) == message


def test_is_int():
    assert is_int(3) and is_int(np.int64(-2))
    assert not any(is_int(v) for v in (True, 3.0, '3', None, np.float32(1)))


def test_argparse_types_name_the_option():
    """The benchmarks' options: 0 or a word is one line naming the option, not a traceback
    from deep in the run (a ZeroDivisionError for --queries 0)."""
    parser = argparse.ArgumentParser(exit_on_error=False)
    parser.add_argument('--queries', type=positive_int)
    parser.add_argument('--step-time', type=positive_float)
    assert parser.parse_args(['--queries', '3', '--step-time', '0.5']).queries == 3
    for argv, message in [
        (['--queries', '0'], 'argument --queries: must be >= 1, got 0'),
        (['--queries', 'x'], "argument --queries: 'x' is not a whole number"),
        (['--step-time', 'nan'], 'argument --step-time: must be a finite number > 0, got nan'),
        (['--step-time', '-1'], 'argument --step-time: must be a finite number > 0, got -1'),
    ]:
        with pytest.raises(argparse.ArgumentError, match=message):
            parser.parse_args(argv)
