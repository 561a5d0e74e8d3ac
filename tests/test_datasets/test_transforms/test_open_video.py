"""Tests for ``OpenVideo``: decord and PyAV readers, frame count and fps, and every kind of
broken video as a ``SampleError`` with its reason."""

import re
import signal
import struct
import subprocess
import sys

import numpy as np
import pytest

from vtp.datasets.sample_error import SampleError
from vtp.datasets.transforms import DecodeVideo, OpenVideo
from vtp.registry import TRANSFORMS
from vtp.testing import (
    BASE,
    HEIGHT,
    STEP,
    WIDTH,
    box_payload,
    set_codec,
    set_decode_time,
    set_display_matrix,
    set_sample_count,
    write_audio_only_mp4,
    write_fragmented_mp4,
    write_frames,
    write_init_segment,
    write_mp4,
    write_rotated_mp4,
    zero_durations,
)


@pytest.mark.parametrize('decoder', ['decord', 'pyav'])
def test_opens_video(tmp_path, decoder):
    path = write_mp4(tmp_path / 'clip.mp4', num_frames=12)
    results = OpenVideo(decoder=decoder)(dict(filename=path, text='t'))
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
    path.write_bytes(data[: len(data) // 2])


def index_first_half_of(tmp_path, path):
    """A download cut off half-way, its index at the front: the index lists 16 frames, the
    file holds 8 (PyAV read the 8 as a shorter clip, decord refused it)."""
    rng = np.random.RandomState(0)
    frames = [rng.randint(0, 256, (HEIGHT, WIDTH, 3)).astype(np.uint8) for _ in range(16)]
    write_frames(path, frames, movflags='faststart', keyframe_interval=4)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def stts_overflow(tmp_path, path):
    """A time table claiming 244 entries in a box with room for one (one corrupt byte): FFmpeg
    reads the boxes and frames after it as sample counts, billions of frames, and decord
    aborts the whole process allocating for them (std::bad_alloc) unless vtp refuses the file
    first."""
    rng = np.random.RandomState(0)
    write_frames(
        path,
        [rng.randint(0, 256, (HEIGHT, WIDTH, 3)).astype(np.uint8) for _ in range(4)],
        movflags='faststart',
    )
    data = bytearray(path.read_bytes())
    start, _ = box_payload(data, b'stts')
    struct.pack_into('>I', data, start + 4, 244)
    path.write_bytes(data)


def fragment_after_the_others(tmp_path, path):
    """Movie fragment 2 of 4 timed 2**56 / 16384 s (139 million years) after the start (a
    corrupt high byte of its 64-bit decode time): decord reserves a frame index for 2**45
    frames at 8 fps and aborts the whole process (std::bad_alloc) unless vtp refuses the file
    first. A fuzz of fragment headers found bits 32-63 of the decode time do this (a flipped
    bit 40 needs 16 GiB)."""
    set_decode_time(write_fragmented_mp4(path), 2, (1 << 56) + 4 * 2048)


BROKEN = {
    'missing': (lambda tmp_path, path: None, 'missing file'),
    'empty': (lambda tmp_path, path: path.write_bytes(b''), 'empty file'),
    'folder': (lambda tmp_path, path: path.mkdir(), 'unreadable file'),
    'garbage': (
        lambda tmp_path, path: path.write_bytes(b'not a video at all'),
        'undecodable video',
    ),
    'html': (
        lambda tmp_path, path: path.write_text('<html>404 Not Found</html>'),
        'undecodable video',
    ),
    'half': (half_of, 'undecodable video'),
    'half, index first': (index_first_half_of, 'undecodable video'),
    'stts overflow': (stts_overflow, 'undecodable video'),  # mind: aborts pytest if it fails
    'fragment time': (fragment_after_the_others, 'undecodable video'),  # mind: as above
    'fragment samples': (
        lambda tmp_path, path: set_sample_count(write_fragmented_mp4(path), 2, 1000),
        'undecodable video',
    ),
    'audio only': (lambda tmp_path, path: write_audio_only_mp4(path), 'no video stream'),
    'no frames': (lambda tmp_path, path: write_init_segment(path), 'video without frames'),
    'zero duration': (lambda tmp_path, path: zero_durations(write_mp4(path)), 'zero duration'),
    'av1': (lambda tmp_path, path: set_codec(write_mp4(path), b'av01'), 'unsupported codec'),
    'mirrored': (
        lambda tmp_path, path: set_display_matrix(write_mp4(path), (-1, 0, 0, 1)),
        'unsupported rotation',
    ),
    '45 degrees': (
        lambda tmp_path, path: set_display_matrix(
            write_rotated_mp4(path, 0), (0.7071, 0.7071, -0.7071, 0.7071)
        ),
        'unsupported rotation',
    ),
}


def test_unknown_decoder():
    with pytest.raises(ValueError, match=r"decoder must be one of \('decord', 'pyav'\), got 'cv2'"):
        OpenVideo(decoder='cv2')


# PyAV decodes AV1, so the H.264 stream labelled AV1 fails later, in DecodeVideo.
DECODER_KINDS = [('decord', kind) for kind in BROKEN] + [
    ('pyav', kind) for kind in BROKEN if kind != 'av1'
]


@pytest.mark.parametrize('decoder,kind', DECODER_KINDS)
def test_broken_file_is_a_sample_error(tmp_path, capfd, kind, decoder):
    write, reason = BROKEN[kind]
    path = tmp_path / 'broken.mp4'
    write(tmp_path, path)
    with pytest.raises(SampleError) as info:
        OpenVideo(decoder=decoder)(dict(filename=str(path)))
    assert (info.value.path, info.value.reason) == (str(path), reason)
    assert not re.search(r'\[[\d:]+\]|\.cc:', str(info.value))  # no decord log prefixes
    assert capfd.readouterr().err == ''  # FFmpeg's own messages are not printed


def test_reasons_name_the_problem(tmp_path):
    path = tmp_path / 'clip.mp4'
    stts_overflow(tmp_path, path)
    with pytest.raises(SampleError, match=r'\(the time-to-sample table \(stts\) claims 244'):
        OpenVideo()(dict(filename=str(path)))
    fragment_after_the_others(tmp_path, path)
    with pytest.raises(SampleError, match=r'\(fragment 2: track 1 runs from 4.39805e\+12 s'):
        OpenVideo()(dict(filename=str(path)))
    set_codec(write_mp4(path), b'av01')
    with pytest.raises(SampleError, match=r'unsupported codec \(av01\)'):
        OpenVideo()(dict(filename=str(path)))
    set_display_matrix(write_mp4(path), (0.7071, 0.7071, -0.7071, 0.7071))
    with pytest.raises(SampleError, match=r'rotates by 45 degrees\)'):
        OpenVideo()(dict(filename=str(path)))


@pytest.mark.parametrize('decoder', ['decord', 'pyav'])
@pytest.mark.parametrize('rotation', [90, 180, 270])
def test_rotated_video_opens(tmp_path, rotation, decoder):
    results = OpenVideo(decoder=decoder)(
        dict(filename=write_rotated_mp4(tmp_path / 'clip.mp4', rotation))
    )
    assert results['total_frames'] == 6
    assert results['avg_fps'] == pytest.approx(8.0)


def test_corrupt_fragment_time_aborts_decord(tmp_path):
    """The file ``OpenVideo`` refuses above kills a process that opens it with decord."""
    path = tmp_path / 'clip.mp4'
    fragment_after_the_others(tmp_path, path)
    opened = subprocess.run(
        [sys.executable, '-c', 'import sys, decord; decord.VideoReader(sys.argv[1])', str(path)],
        capture_output=True,
    )
    assert opened.returncode == -signal.SIGABRT and b'bad_alloc' in opened.stderr


@pytest.mark.parametrize(
    'movflags',
    [
        'frag_keyframe+empty_moov',
        'frag_keyframe+empty_moov+default_base_moof',
        'frag_keyframe',
        'frag_every_frame+empty_moov+separate_moof+omit_tfhd_offset',
    ],
)
@pytest.mark.parametrize('decoder', ['decord', 'pyav'])
def test_fragmented_video_decodes(tmp_path, movflags, decoder):
    path = write_fragmented_mp4(tmp_path / 'clip.mp4', movflags)
    results = OpenVideo(decoder=decoder)(dict(filename=path))
    assert results['total_frames'] == 16 and results['avg_fps'] == pytest.approx(8.0)
    frame_inds = [15, 0, 5, 10, 9, 3]  # seeks across the fragments, back and forth
    imgs = DecodeVideo()({**results, 'frame_inds': frame_inds})['imgs']
    levels = imgs[:, 24:].astype(np.float64).mean(axis=(1, 2, 3))  # below the red square
    assert np.rint((levels - BASE) / STEP).tolist() == frame_inds


@pytest.mark.parametrize('decoder', ['decord', 'pyav'])
def test_bytes_in_memory_decode_as_the_file(tmp_path, decoder):
    path = write_mp4(tmp_path / 'clip.mp4', num_frames=12)
    data = open(path, 'rb').read()
    frames = []
    for results in (dict(filename=path), dict(filename='shard.tar/k.mp4', media_bytes=data)):
        results = OpenVideo(decoder=decoder)(dict(results, frame_inds=np.array([0, 5, 11])))
        frames.append(DecodeVideo()(results)['imgs'])
    assert frames[0].shape == (3, HEIGHT, WIDTH, 3)
    np.testing.assert_array_equal(frames[0], frames[1])


@pytest.mark.parametrize('decoder', ['decord', 'pyav'])
def test_broken_bytes_are_a_sample_error_naming_the_member(tmp_path, decoder):
    data = open(write_mp4(tmp_path / 'clip.mp4'), 'rb').read()
    for content, reason in ((b'', 'empty file'), (data[: len(data) // 2], 'undecodable video')):
        with pytest.raises(SampleError) as info:
            OpenVideo(decoder=decoder)(dict(filename='s.tar/k.mp4', media_bytes=content))
        assert (info.value.path, info.value.reason) == ('s.tar/k.mp4', reason)


def declare_size(path, width, height):
    """The mp4 at ``path`` with its sample description declaring ``width`` x ``height``."""
    data = bytearray(open(path, 'rb').read())
    at = data.index(b'stsd') + 4 + 8 + 32  # box content, version and count, 32 into the entry
    struct.pack_into('>HH', data, at, width, height)
    open(path, 'wb').write(bytes(data))
    return path


@pytest.mark.parametrize('decoder', ['decord', 'pyav'])
def test_frames_too_large_are_refused_before_decoding(tmp_path, decoder):
    """A header of a few bytes can declare frames of gigabytes: the declared size is checked
    before anything is decoded (an mp4's sample description; FFmpeg's probe otherwise)."""
    forged = declare_size(write_mp4(tmp_path / 'forged.mp4'), 9000, 8000)
    with pytest.raises(
        SampleError, match=r'too many pixels \(9000x8000, more than 67108864 pixels\)'
    ):
        OpenVideo(decoder=decoder)(dict(filename=forged))
    for name in ('clip.mp4', 'clip.mkv'):
        path = write_frames(tmp_path / name, [np.zeros((HEIGHT, WIDTH, 3), np.uint8)] * 4)
        assert OpenVideo(decoder=decoder)(dict(filename=path))['total_frames'] == 4
        with pytest.raises(SampleError, match=rf'too many pixels \({WIDTH}x{HEIGHT},'):
            OpenVideo(decoder=decoder, max_pixels=WIDTH * HEIGHT - 1)(dict(filename=path))
    with pytest.raises(ValueError, match='max_pixels'):
        OpenVideo(max_pixels=0)


@pytest.mark.parametrize(
    'kwargs, message',
    [
        (dict(max_pixels=0), 'OpenVideo: max_pixels must be an int >= 1, got 0'),
        (dict(max_pixels='4096'), "OpenVideo: max_pixels must be an int >= 1, got '4096'"),
        (dict(max_pixels=1e6), 'OpenVideo: max_pixels must be an int >= 1, got 1000000.0'),
        (dict(num_threads=-1), 'OpenVideo: num_threads must be an int >= 0, got -1'),
        (dict(num_threads='2'), "OpenVideo: num_threads must be an int >= 0, got '2'"),
    ],
)
def test_bad_settings_are_named(kwargs, message):
    with pytest.raises(ValueError) as error:
        OpenVideo(**kwargs)
    assert str(error.value) == message
