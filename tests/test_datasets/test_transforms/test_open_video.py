"""Tests for ``OpenVideo``: decord reader, frame count and fps, and every kind of broken video
as a ``SampleError`` with its reason."""
import re
import struct

import numpy as np
import pytest
from video_files import (
    HEIGHT,
    WIDTH,
    box_payload,
    set_codec,
    set_display_matrix,
    write_audio_only_mp4,
    write_frames,
    write_init_segment,
    write_mp4,
    write_rotated_mp4,
    zero_durations,
)

from vtp.datasets.sample_error import SampleError
from vtp.datasets.transforms import OpenVideo
from vtp.registry import TRANSFORMS


def test_opens_video(tmp_path):
    path = write_mp4(tmp_path / 'clip.mp4', num_frames=12)
    results = OpenVideo()(dict(filename=path, text='t'))
    assert results['total_frames'] == 12
    assert results['avg_fps'] == pytest.approx(8.0)
    assert len(results['video_reader']) == 12
    assert results['text'] == 't'


def test_built_from_registry(tmp_path):
    transform = TRANSFORMS.build(dict(type='OpenVideo', num_threads=1))
    assert isinstance(transform, OpenVideo)
    path = write_mp4(tmp_path / 'clip.mp4', num_frames=5)
    assert transform(dict(filename=path))['total_frames'] == 5


def half_of(tmp_path, path):
    """A download cut off half-way (the mp4 index is at the end)."""
    data = open(write_mp4(tmp_path / 'ok.mp4'), 'rb').read()
    path.write_bytes(data[:len(data) // 2])


def stts_overflow(tmp_path, path):
    """A time table claiming 244 entries in a box with room for one (one corrupt byte): FFmpeg
    reads the boxes and frames after it as sample counts, billions of frames, and decord
    aborts the whole process allocating for them (std::bad_alloc) unless vtp refuses the file
    first."""
    rng = np.random.RandomState(0)
    write_frames(path, [rng.randint(0, 256, (HEIGHT, WIDTH, 3)).astype(np.uint8)
                        for _ in range(4)], movflags='faststart')
    data = bytearray(path.read_bytes())
    start, _ = box_payload(data, b'stts')
    struct.pack_into('>I', data, start + 4, 244)
    path.write_bytes(data)


BROKEN = {
    'missing': (lambda tmp_path, path: None, 'missing file'),
    'empty': (lambda tmp_path, path: path.write_bytes(b''), 'empty file'),
    'folder': (lambda tmp_path, path: path.mkdir(), 'unreadable file'),
    'garbage': (lambda tmp_path, path: path.write_bytes(b'not a video at all'),
                'undecodable video'),
    'html': (lambda tmp_path, path: path.write_text('<html>404 Not Found</html>'),
             'undecodable video'),
    'half': (half_of, 'undecodable video'),
    'stts overflow': (stts_overflow, 'undecodable video'),  # mind: aborts pytest if it fails
    'audio only': (lambda tmp_path, path: write_audio_only_mp4(path), 'no video stream'),
    'no frames': (lambda tmp_path, path: write_init_segment(path), 'video without frames'),
    'zero duration': (lambda tmp_path, path: zero_durations(write_mp4(path)), 'zero duration'),
    'av1': (lambda tmp_path, path: set_codec(write_mp4(path), b'av01'), 'unsupported codec'),
    'mirrored': (lambda tmp_path, path: set_display_matrix(write_mp4(path), (-1, 0, 0, 1)),
                 'unsupported rotation'),
    '45 degrees': (lambda tmp_path, path: set_display_matrix(
        write_rotated_mp4(path, 0), (0.7071, 0.7071, -0.7071, 0.7071)), 'unsupported rotation'),
}


@pytest.mark.parametrize('kind', BROKEN)
def test_broken_file_is_a_sample_error(tmp_path, capfd, kind):
    write, reason = BROKEN[kind]
    path = tmp_path / 'broken.mp4'
    write(tmp_path, path)
    with pytest.raises(SampleError) as info:
        OpenVideo()(dict(filename=str(path)))
    assert (info.value.path, info.value.reason) == (str(path), reason)
    assert not re.search(r'\[[\d:]+\]|\.cc:', str(info.value))  # no decord log prefixes
    assert capfd.readouterr().err == ''  # FFmpeg's own messages are not printed


def test_reasons_name_the_problem(tmp_path):
    path = tmp_path / 'clip.mp4'
    stts_overflow(tmp_path, path)
    with pytest.raises(SampleError, match=r'\(the time-to-sample table \(stts\) claims 244'):
        OpenVideo()(dict(filename=str(path)))
    set_codec(write_mp4(path), b'av01')
    with pytest.raises(SampleError, match=r'unsupported codec \(av01\)'):
        OpenVideo()(dict(filename=str(path)))
    set_display_matrix(write_mp4(path), (0.7071, 0.7071, -0.7071, 0.7071))
    with pytest.raises(SampleError, match=r'rotates by 45 degrees\)'):
        OpenVideo()(dict(filename=str(path)))


@pytest.mark.parametrize('rotation', [90, 180, 270])
def test_rotated_video_opens(tmp_path, rotation):
    results = OpenVideo()(dict(filename=write_rotated_mp4(tmp_path / 'clip.mp4', rotation)))
    assert results['total_frames'] == 6
    assert results['avg_fps'] == pytest.approx(8.0)
