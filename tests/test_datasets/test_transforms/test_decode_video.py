"""Tests for ``DecodeVideo`` with ``OpenVideo`` and ``SampleFrames`` on real mp4 files:
frame order and colour, phone videos with a display rotation, corrupt streams."""

import numpy as np
import pytest
from mmengine.dataset import Compose

from vtp.datasets.sample_error import SampleError
from vtp.datasets.transforms import DecodeVideo, OpenVideo, SampleFrames
from vtp.testing import (
    BAND,
    BASE,
    HEIGHT,
    STEP,
    UPRIGHT_HEIGHT,
    UPRIGHT_WIDTH,
    WIDTH,
    corrupt_stream,
    write_mp4,
    write_rotated_mp4,
)


def frame_ids(imgs: np.ndarray) -> list:
    """The written index of each decoded frame, from the grey level of rows 24+ (no square)."""
    levels = imgs[:, 24:].astype(np.float64).mean(axis=(1, 2, 3))
    return [int(i) for i in np.rint((levels - BASE) / STEP)]


def load(path: str, num_frames: int, test_mode: bool, repeat_short: bool = False) -> dict:
    pipeline = Compose(
        [
            OpenVideo(),
            SampleFrames(num_frames, test_mode=test_mode, repeat_short=repeat_short),
            DecodeVideo(),
        ]
    )
    return pipeline(dict(filename=path))


@pytest.fixture
def video(tmp_path) -> str:
    return write_mp4(tmp_path / 'clip.mp4', num_frames=12)


def test_test_mode_decodes_segment_centres(video):
    results = load(video, 4, test_mode=True)
    imgs = results['imgs']
    assert imgs.shape == (4, HEIGHT, WIDTH, 3)
    assert imgs.dtype == np.uint8
    assert tuple(results['img_shape']) == (HEIGHT, WIDTH)
    assert 'video_reader' not in results
    assert results['frame_inds'].tolist() == [1, 4, 7, 10]
    assert frame_ids(imgs) == [1, 4, 7, 10]


def test_frames_are_rgb(video):
    imgs = load(video, 4, test_mode=True)['imgs']
    # Frame 1's red square covers columns 8..15 of rows 8..15.
    red = imgs[0, 10:14, 10:14].reshape(-1, 3).mean(axis=0)
    assert red[0] > 200 and red[1] < 60 and red[2] < 60


def test_square_moves_right(video):
    imgs = load(video, 4, test_mode=True)['imgs']
    centres = [
        np.flatnonzero(img[12, :, 0].astype(int) - img[12, :, 1] > 100).mean() for img in imgs
    ]
    assert centres == pytest.approx([7.5 + 4 * i for i in (1, 4, 7, 10)], abs=1)


def test_test_mode_is_deterministic(video):
    np.random.seed(0)
    first = load(video, 4, test_mode=True)['imgs']
    np.random.seed(1)
    np.testing.assert_array_equal(first, load(video, 4, test_mode=True)['imgs'])


def test_train_mode_frames_in_increasing_order_within_segments(video):
    np.random.seed(0)
    for _ in range(3):
        results = load(video, 4, test_mode=False)
        ids = frame_ids(results['imgs'])
        assert ids == results['frame_inds'].tolist()
        assert all(3 * i <= index < 3 * i + 3 for i, index in enumerate(ids))
        assert ids == sorted(ids)


def test_clip_shorter_than_num_frames_repeats(tmp_path):
    results = load(
        write_mp4(tmp_path / 'short.mp4', num_frames=5), 8, test_mode=True, repeat_short=True
    )
    assert results['imgs'].shape == (8, HEIGHT, WIDTH, 3)
    ids = frame_ids(results['imgs'])
    assert ids == results['frame_inds'].tolist()
    assert ids == sorted(ids) and set(ids) == set(range(5))


def check_upright(frame: np.ndarray) -> None:
    """``upright_picture``: red band on top, green band on the left below it, grey elsewhere."""
    assert frame.shape == (UPRIGHT_HEIGHT, UPRIGHT_WIDTH, 3)
    regions = {
        'top': (frame[2 : BAND - 2, 20:-20], (255, 0, 0)),
        'left': (frame[30:-30, 2 : BAND - 2], (0, 255, 0)),
    }
    for name, (region, colour) in regions.items():
        mean = region.reshape(-1, 3).mean(axis=0)
        assert np.abs(mean - colour).max() < 30, (name, mean)
    rest = np.concatenate(
        [frame[-BAND:, BAND + 4 :].reshape(-1, 3), frame[BAND + 4 :, -BAND:].reshape(-1, 3)]
    ).astype(int)
    assert np.abs(rest - rest.mean(axis=1, keepdims=True)).max() < 20  # bottom, right: grey


@pytest.mark.parametrize('rotation', [0, 90, 180, 270])
def test_rotated_video_is_decoded_upright(tmp_path, rotation):
    """Phones store portrait video turned, with a display matrix: frames come out as a player
    shows them (and as ``img_shape`` says), in order."""
    results = load(
        write_rotated_mp4(tmp_path / 'clip.mp4', rotation, num_frames=6), 3, test_mode=True
    )
    imgs = results['imgs']
    assert results['total_frames'] == 6
    assert imgs.shape == (3, UPRIGHT_HEIGHT, UPRIGHT_WIDTH, 3)
    assert tuple(results['img_shape']) == (UPRIGHT_HEIGHT, UPRIGHT_WIDTH)
    for frame in imgs:
        check_upright(frame)
    levels = imgs[:, 40:80, 30:60].astype(np.float64).mean(axis=(1, 2, 3))
    assert np.rint((levels - BASE) / STEP).tolist() == results['frame_inds'].tolist() == [1, 3, 5]


def test_corrupt_stream_is_a_sample_error(tmp_path):
    """The header is intact (the video opens), the second half of the frames is garbage."""
    path = write_mp4(tmp_path / 'clip.mp4', num_frames=12)
    corrupt_stream(path)
    opened = Compose([OpenVideo(), SampleFrames(4, test_mode=True)])(dict(filename=path))
    assert opened['total_frames'] == 12
    with pytest.raises(SampleError) as info:
        DecodeVideo()(opened)
    assert (info.value.path, info.value.reason) == (path, 'undecodable frames')
    assert 'video_reader' not in opened
