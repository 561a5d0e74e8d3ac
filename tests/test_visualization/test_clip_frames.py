"""Frames to show: the test-mode frames of a clip or of its time window, one frame of an
image, errors that name the file, and thumbnails that fit their box and are decoded once."""

import re

import numpy as np
import pytest

from vtp.datasets.sample_error import SampleError
from vtp.testing import BASE, HEIGHT, STEP, WIDTH, write_jpg, write_mp4
from vtp.visualization import ClipThumbnails, read_clip_frames


def grey_level(frame: np.ndarray) -> int:
    """Which frame of ``grey_frames`` this is, from its bottom-right corner's grey."""
    return round((float(frame[-8:, -8:].mean()) - BASE) / STEP)


def test_reads_the_centre_frame_of_each_segment(tmp_path):
    path = write_mp4(tmp_path / 'clip.mp4', num_frames=12, fps=8)
    frames = read_clip_frames(dict(filename=path), 4)
    assert frames.shape == (4, HEIGHT, WIDTH, 3) and frames.dtype == np.uint8
    assert [grey_level(f) for f in frames] == [1, 4, 7, 10]


def test_reads_only_the_time_window(tmp_path):
    path = write_mp4(tmp_path / 'clip.mp4', num_frames=12, fps=8)
    frames = read_clip_frames(dict(filename=path, start=0.5, end=1.0), 2)  # frames 4..7
    assert [grey_level(f) for f in frames] == [5, 7]


def test_an_image_gives_one_frame(tmp_path):
    frames = read_clip_frames(dict(filename=write_jpg(tmp_path / 'a.jpg')), 4)
    assert frames.shape == (1, HEIGHT, WIDTH, 3)


def test_a_missing_file_raises_a_sample_error_naming_it(tmp_path):
    with pytest.raises(SampleError, match='gone.mp4: missing file'):
        read_clip_frames(dict(filename=str(tmp_path / 'gone.mp4')), 4)


def test_thumbnails_fit_their_box_and_each_clip_is_decoded_once(tmp_path):
    path = tmp_path / 'clip.mp4'
    write_mp4(path)
    thumbnails = ClipThumbnails(3, (20, 100))
    first = thumbnails(dict(filename=str(path)))
    assert isinstance(first, list) and len(first) == 3
    scale = 20 / HEIGHT  # the height limits: the aspect ratio is kept
    assert first[0].shape == (20, round(WIDTH * scale), 3)
    path.unlink()
    assert thumbnails(dict(filename=str(path))) is first  # from the cache
    assert 'missing file' in str(thumbnails(dict(filename=str(path), start=0.0)))


@pytest.mark.parametrize('num_frames', [0, '8', 2.0])
def test_thumbnails_refuse_a_frame_count_that_is_not_a_positive_int(num_frames):
    message = f'ClipThumbnails: num_frames must be an int >= 1, got {num_frames!r}'
    with pytest.raises(ValueError, match=f'^{re.escape(message)}$'):
        ClipThumbnails(num_frames, (20, 20))
