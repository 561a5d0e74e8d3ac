"""Tests for ``SampleFrames``: segment-based frame choice."""

import re

import numpy as np
import pytest

from vtp.datasets.sample_error import SampleError
from vtp.datasets.transforms import SampleFrames


def sample(total: int, num_frames: int, test_mode: bool = False, **extra) -> np.ndarray:
    transform = SampleFrames(
        num_frames, test_mode=test_mode, repeat_short=extra.pop('repeat_short', False)
    )
    return transform(dict(total_frames=total, filename='clip.mp4', **extra))['frame_inds']


@pytest.mark.parametrize('num_frames', [0, -1, '8', 8.0, True])
def test_num_frames_must_be_a_positive_int(num_frames):
    message = f'SampleFrames: num_frames must be an int >= 1, got {num_frames!r}'
    with pytest.raises(ValueError, match=f'^{re.escape(message)}$'):
        SampleFrames(num_frames=num_frames)


@pytest.mark.parametrize('repeat_short', [False, True])
def test_video_without_frames_is_a_sample_error(repeat_short):
    with pytest.raises(SampleError, match='empty.mp4: fewer frames than asked'):
        SampleFrames(4, repeat_short=repeat_short)(dict(total_frames=0, filename='empty.mp4'))


def test_clip_shorter_than_num_frames_is_a_sample_error():
    with pytest.raises(SampleError, match=r'clip.mp4: fewer frames than asked \(3 frames, 8'):
        sample(3, 8)


@pytest.mark.parametrize(
    'total, expected',
    [(12, [1, 4, 7, 10]), (8, [1, 3, 5, 7]), (10, [1, 3, 6, 8]), (4, [0, 1, 2, 3])],
)
def test_test_mode_takes_segment_centres(total, expected):
    np.random.seed(0)
    first = sample(total, 4, test_mode=True)
    np.random.seed(1)
    assert first.tolist() == sample(total, 4, test_mode=True).tolist() == expected
    assert first.dtype == np.int64


@pytest.mark.parametrize('total', [4, 10, 12, 101])
def test_train_mode_within_segments(total):
    edges = np.linspace(0, total, 5)
    rng_state = np.random.get_state()
    seen = set()
    try:
        np.random.seed(0)
        for _ in range(50):
            inds = sample(total, 4)
            assert inds.shape == (4,)
            assert np.all(np.floor(edges[:-1]) <= inds) and np.all(inds < edges[1:])
            assert np.all(np.diff(inds) >= 0)
            seen.add(tuple(inds.tolist()))
    finally:
        np.random.set_state(rng_state)
    if total > 4:
        assert len(seen) > 1  # really random within segments


def test_train_mode_uses_numpy_global_generator():
    np.random.seed(3)
    first = sample(100, 8)
    np.random.seed(3)
    assert sample(100, 8).tolist() == first.tolist()


@pytest.mark.parametrize('test_mode', [True, False])
def test_short_clip_repeats_frames_in_order(test_mode):
    np.random.seed(0)
    inds = sample(3, 8, test_mode=test_mode, repeat_short=True)
    assert inds.shape == (8,)
    assert np.all(np.diff(inds) >= 0)
    assert set(inds.tolist()) == {0, 1, 2}


def test_single_frame():
    assert sample(1, 4, test_mode=True, repeat_short=True).tolist() == [0, 0, 0, 0]
    assert sample(9, 1, test_mode=True).tolist() == [4]


def test_time_window_restricts_frames():
    """A 2 s to 4 s window of a 10 fps clip samples frames 20..39 only."""
    np.random.seed(0)
    for test_mode in (True, False):
        inds = sample(100, 4, test_mode=test_mode, start=2.0, end=4.0, avg_fps=10.0)
        assert np.all((20 <= inds) & (inds < 40)), inds
    assert sample(100, 4, test_mode=True, start=2.0, end=4.0, avg_fps=10.0).tolist() == [
        22,
        27,
        32,
        37,
    ]


def test_window_past_the_end_is_clipped_and_too_short_window_fails():
    assert sample(50, 2, test_mode=True, start=4.0, end=9.0, avg_fps=10.0).tolist() == [42, 47]
    with pytest.raises(SampleError, match='1 frames, 2 asked'):
        sample(50, 2, start=4.9, end=9.0, avg_fps=10.0)


@pytest.mark.parametrize(
    'window, expected',
    [((0.0, 1e308), [12, 37]), ((-1e308, 2.0), [5, 15]), ((1e308, None), None)],
)
def test_huge_window_times_are_clipped_not_overflowed(window, expected):
    """1e308 s passes the annotation check (finite) but not int(1e308 * fps)."""
    start, end = window
    if expected is None:
        with pytest.raises(SampleError, match='0 frames, 2 asked'):
            sample(50, 2, test_mode=True, start=start, end=end, avg_fps=10.0)
    else:
        assert sample(50, 2, test_mode=True, start=start, end=end, avg_fps=10.0).tolist() == (
            expected
        )


@pytest.mark.parametrize('fps', [0.0, float('nan'), float('inf'), -5.0])
def test_a_window_needs_a_usable_frame_rate(fps):
    with pytest.raises(SampleError, match='no usable frame rate'):
        sample(50, 2, start=1.0, end=2.0, avg_fps=fps)
