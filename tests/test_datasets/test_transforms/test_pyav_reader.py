"""Tests for ``PyAVReader``: the same frames as decord, bit for bit, in any order, across
keyframes, on an encode with B-frames that it skips; scaling and rotation."""

from pathlib import Path

import av
import cv2
import decord
import numpy as np
import pytest

from vtp.datasets.transforms.pyav_reader import PyAVReader, UnusableVideo
from vtp.testing import write_mp4, write_rotated_mp4

NUM_FRAMES = 40


def write_b_frames(path: Path) -> str:
    """(40 frames of 96 x 128) of moving noise, x264 with B-frames (some of which no frame
    references) and a keyframe every 12 frames, as camera clips are encoded."""
    rng = np.random.RandomState(0)
    texture = rng.randint(0, 256, (96, 256, 3)).astype(np.uint8)
    texture = cv2.GaussianBlur(texture, (5, 5), 0)
    with av.open(str(path), mode='w') as container:
        stream = container.add_stream('libx264', rate=25)
        stream.height, stream.width, stream.pix_fmt = 96, 128, 'yuv420p'
        stream.options = {'preset': 'medium', 'bframes': '3', 'g': '12', 'threads': '1'}
        for i in range(NUM_FRAMES):
            frame = np.ascontiguousarray(texture[:, 3 * i : 3 * i + 128])
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format='rgb24')))
        container.mux(stream.encode(None))
    return str(path)


@pytest.fixture(scope='module')
def clip(tmp_path_factory: pytest.TempPathFactory) -> str:
    return write_b_frames(tmp_path_factory.mktemp('pyav') / 'clip.mp4')


def test_index_matches_decord(clip):
    reader = PyAVReader(clip)
    assert len(reader) == len(decord.VideoReader(clip)) == NUM_FRAMES
    assert reader.fps == pytest.approx(decord.VideoReader(clip).get_avg_fps())
    assert reader.shape == (96, 128)
    assert len(reader.keys) == 4  # frames 0, 12, 24, 36


def test_encode_has_unreferenced_frames(clip):
    """What the reader skips exists in the test clip: frames no other frame references."""
    with av.open(clip) as container:
        stream = container.streams.video[0]
        stream.codec_context.skip_frame = 'NONREF'
        assert len(list(container.decode(stream))) < NUM_FRAMES


@pytest.mark.parametrize(
    'frame_inds',
    [
        [2, 7, 12, 17, 22, 27, 32, 39],  # one per segment, across the keyframes
        [0, 1, 2, 3, 4, 5, 6, 7],  # dense
        [39, 3, 20, 3, 11],  # unsorted, repeated, backwards
        [13, 14],  # just after a keyframe
        [35],  # just before one
    ],
)
def test_frames_equal_decord(clip, frame_inds):
    expected = decord.VideoReader(clip, num_threads=1).get_batch(frame_inds).asnumpy()
    imgs = PyAVReader(clip).get_batch(frame_inds)
    assert imgs.dtype == np.uint8 and imgs.flags.c_contiguous
    np.testing.assert_array_equal(imgs, expected)


def test_reads_twice(clip):
    reader = PyAVReader(clip)
    first = reader.get_batch([30, 5])
    np.testing.assert_array_equal(reader.get_batch([30, 5]), first)


def test_scales_in_the_decoder(clip):
    """Area-averaged to (H, W): within a few levels of OpenCV's area resize of the full frames
    (the chroma is scaled before the conversion to RGB: 4.6 levels apart on average on this
    fine noise, 1.2-1.3 on camera clips)."""
    full = PyAVReader(clip).get_batch([4, 20])
    small = PyAVReader(clip).get_batch([4, 20], size=(48, 64))
    assert small.shape == (2, 48, 64, 3) and small.dtype == np.uint8
    resized = np.stack([cv2.resize(f, (64, 48), interpolation=cv2.INTER_AREA) for f in full])
    assert np.abs(small.astype(int) - resized).mean() < 6


@pytest.mark.parametrize('rotation', [90, 270])
def test_rotation_turns_frames_and_size(tmp_path, rotation):
    path = write_rotated_mp4(tmp_path / 'clip.mp4', rotation)
    reader = PyAVReader(path, rotation)
    assert reader.shape == (96, 64)
    assert reader.get_batch([0]).shape == (1, 96, 64, 3)
    assert reader.get_batch([0], size=(48, 32)).shape == (1, 48, 32, 3)


def test_no_video_stream(tmp_path):
    from vtp.testing import write_audio_only_mp4

    path = tmp_path / 'audio.mp4'
    write_audio_only_mp4(path)
    with pytest.raises(UnusableVideo) as info:
        PyAVReader(str(path))
    assert info.value.reason == 'no video stream'


def test_one_frame_video(tmp_path):
    path = write_mp4(tmp_path / 'one.mp4', num_frames=1)
    assert PyAVReader(path).get_batch([0, 0]).shape == (2, 48, 64, 3)
