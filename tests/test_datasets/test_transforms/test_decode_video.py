"""Tests for ``DecodeVideo`` with ``OpenVideo`` (decord and PyAV) and ``SampleFrames`` on real
mp4 files: frame order and colour, phone videos with a display rotation, corrupt streams, and
scaling in the decoder against decoding at full size and resizing."""

import re
import struct

import numpy as np
import pytest
from mmengine.dataset import Compose

from vtp.datasets.sample_error import SampleError
from vtp.datasets.transforms import DecodeVideo, OpenVideo, Resize, SampleFrames
from vtp.testing import (
    BAND,
    BASE,
    HEIGHT,
    STEP,
    UPRIGHT_HEIGHT,
    UPRIGHT_WIDTH,
    WIDTH,
    box_payload,
    corrupt_stream,
    set_codec,
    write_frames,
    write_mp4,
    write_rotated_mp4,
)


def frame_ids(imgs: np.ndarray) -> list:
    """The written index of each decoded frame, from the grey level of rows 24+ (no square)."""
    levels = imgs[:, 24:].astype(np.float64).mean(axis=(1, 2, 3))
    return [int(i) for i in np.rint((levels - BASE) / STEP)]


@pytest.fixture(params=['decord', 'pyav'])
def decoder(request) -> str:
    return request.param


@pytest.fixture
def load(decoder):
    def load(path: str, num_frames: int, test_mode: bool, repeat_short: bool = False) -> dict:
        pipeline = Compose(
            [
                OpenVideo(decoder=decoder),
                SampleFrames(num_frames, test_mode=test_mode, repeat_short=repeat_short),
                DecodeVideo(),
            ]
        )
        return pipeline(dict(filename=path))

    return load


@pytest.fixture
def video(tmp_path) -> str:
    return write_mp4(tmp_path / 'clip.mp4', num_frames=12)


def test_test_mode_decodes_segment_centres(load, video):
    results = load(video, 4, test_mode=True)
    imgs = results['imgs']
    assert imgs.shape == (4, HEIGHT, WIDTH, 3)
    assert imgs.dtype == np.uint8
    assert tuple(results['img_shape']) == (HEIGHT, WIDTH)
    assert 'video_reader' not in results
    assert results['frame_inds'].tolist() == [1, 4, 7, 10]
    assert frame_ids(imgs) == [1, 4, 7, 10]


def test_frames_are_rgb(load, video):
    imgs = load(video, 4, test_mode=True)['imgs']
    # Frame 1's red square covers columns 8..15 of rows 8..15.
    red = imgs[0, 10:14, 10:14].reshape(-1, 3).mean(axis=0)
    assert red[0] > 200 and red[1] < 60 and red[2] < 60


def test_square_moves_right(load, video):
    imgs = load(video, 4, test_mode=True)['imgs']
    centres = [
        np.flatnonzero(img[12, :, 0].astype(int) - img[12, :, 1] > 100).mean() for img in imgs
    ]
    assert centres == pytest.approx([7.5 + 4 * i for i in (1, 4, 7, 10)], abs=1)


def test_test_mode_is_deterministic(load, video):
    np.random.seed(0)
    first = load(video, 4, test_mode=True)['imgs']
    np.random.seed(1)
    np.testing.assert_array_equal(first, load(video, 4, test_mode=True)['imgs'])


def test_train_mode_frames_in_increasing_order_within_segments(load, video):
    np.random.seed(0)
    for _ in range(3):
        results = load(video, 4, test_mode=False)
        ids = frame_ids(results['imgs'])
        assert ids == results['frame_inds'].tolist()
        assert all(3 * i <= index < 3 * i + 3 for i, index in enumerate(ids))
        assert ids == sorted(ids)


def test_clip_shorter_than_num_frames_repeats(load, tmp_path):
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
def test_rotated_video_is_decoded_upright(load, tmp_path, rotation):
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


def test_corrupt_stream_is_a_sample_error(tmp_path, decoder):
    """The header is intact (the video opens), the second half of the frames is garbage."""
    path = write_mp4(tmp_path / 'clip.mp4', num_frames=12)
    corrupt_stream(path)
    opened = Compose([OpenVideo(decoder=decoder), SampleFrames(4, test_mode=True)])(
        dict(filename=path)
    )
    assert opened['total_frames'] == 12
    with pytest.raises(SampleError) as info:
        DecodeVideo()(opened)
    assert (info.value.path, info.value.reason) == (path, 'undecodable frames')
    assert 'video_reader' not in opened


def test_h264_labelled_av1_is_undecodable_frames_with_pyav(tmp_path):
    """decord has no AV1 decoder (``OpenVideo`` says ``'unsupported codec'``); PyAV has one,
    which finds no picture in this H.264 stream."""
    path = write_mp4(tmp_path / 'clip.mp4', num_frames=8)
    set_codec(path, b'av01')
    opened = Compose([OpenVideo(decoder='pyav'), SampleFrames(4, test_mode=True)])(
        dict(filename=path)
    )
    with pytest.raises(SampleError) as info:
        DecodeVideo()(opened)
    assert info.value.reason == 'undecodable frames'


def natural_picture(level: int) -> np.ndarray:
    """(240, 320, 3): smooth colour gradients and a few sharp-edged discs, brighter with
    ``level``, a stand-in for camera footage."""
    y, x = np.mgrid[0:240, 0:320].astype(np.float64)
    picture = np.stack([x / 320 * 200, y / 240 * 200, (x + y) / 560 * 150], axis=-1) + level / 4
    for cy, cx, r, colour in ((60, 80, 30, (250, 40, 40)), (170, 220, 45, (30, 200, 60))):
        picture[(y - cy) ** 2 + (x - cx) ** 2 < r**2] = colour
    return np.clip(picture, 0, 255).astype(np.uint8)


@pytest.mark.parametrize('rotation', [0, 90])
def test_short_side_equals_full_decode_then_resize(tmp_path, rotation):
    """Same (H, W) and dtype as decoding at full size and ``Resize``, values within 3 levels
    on average (measured 1.2-1.3 on camera clips), on the same frames."""
    path = write_rotated_mp4(tmp_path / 'clip.mp4', rotation, num_frames=8, picture=natural_picture)
    for short_side in (100, 120):  # 320 x 240 (or 240 x 320) to 133 x 100, 160 x 120
        np.random.seed(0)
        old = Compose([OpenVideo(), SampleFrames(4), DecodeVideo(), Resize(short_side)])(
            dict(filename=path)
        )
        np.random.seed(0)
        new = Compose(
            [
                OpenVideo(decoder='pyav'),
                SampleFrames(4),
                DecodeVideo(short_side=short_side),
                Resize(short_side),
            ]
        )(dict(filename=path))
        assert new['frame_inds'].tolist() == old['frame_inds'].tolist()
        assert new['imgs'].shape == old['imgs'].shape and new['imgs'].dtype == np.uint8
        assert tuple(new['img_shape']) == tuple(old['img_shape'])
        assert np.abs(new['imgs'].astype(int) - old['imgs']).mean() < 3


def test_short_side_keeps_small_frames_for_resize(video):
    """Frames not larger than ``short_side`` come out at full size (``Resize`` enlarges them
    as before): the values are those of the full-size path."""
    pipeline = Compose([OpenVideo(decoder='pyav'), SampleFrames(4, test_mode=True)])
    imgs = DecodeVideo(short_side=96)(pipeline(dict(filename=video)))['imgs']
    expected = DecodeVideo()(
        Compose([OpenVideo(), SampleFrames(4, test_mode=True)])(dict(filename=video))
    )['imgs']
    np.testing.assert_array_equal(imgs, expected)


def test_short_side_needs_the_pyav_reader(video):
    opened = Compose([OpenVideo(), SampleFrames(4, test_mode=True)])(dict(filename=video))
    with pytest.raises(ValueError, match=r"needs OpenVideo\(decoder='pyav'\)"):
        DecodeVideo(short_side=32)(opened)


@pytest.mark.parametrize('short_side', [0, '32', 32.0])
def test_short_side_must_be_a_positive_int(short_side):
    message = f'DecodeVideo: short_side (None: full size) must be an int >= 1, got {short_side!r}'
    with pytest.raises(ValueError, match=f'^{re.escape(message)}$'):
        DecodeVideo(short_side=short_side)


def test_a_header_that_understates_the_frame_size_is_refused(decoder, tmp_path):
    """The sample description says 16x12; the stream codes the clip's real frames. PyAV
    refuses it at opening (the codec's size), decord's frames after decoding."""
    path = tmp_path / 'small_header.mp4'
    write_frames(path, [np.full((HEIGHT, WIDTH, 3), 90, np.uint8)] * 4, movflags='faststart')
    data = bytearray(path.read_bytes())
    start, _ = box_payload(data, b'stsd')
    struct.pack_into('>HH', data, start + 8 + 32, 16, 12)  # width, height of the avc1 entry
    path.write_bytes(data)
    pipeline = Compose(
        [
            OpenVideo(decoder=decoder, max_pixels=16 * 12),
            SampleFrames(2, test_mode=True),
            DecodeVideo(),
        ]
    )
    message = f'{path}: too many pixels ({WIDTH}x{HEIGHT}, more than 192 pixels)'
    with pytest.raises(SampleError, match=f'^{re.escape(message)}$'):
        pipeline(dict(filename=str(path)))
