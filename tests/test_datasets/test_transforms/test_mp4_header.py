"""Tests for ``read_mp4_header`` on hand-built boxes, and on mp4 files FFmpeg wrote."""

import struct

import pytest

from vtp.datasets.transforms.mp4_header import Mp4HeaderError, VideoTrack, read_mp4_header
from vtp.testing import (
    HEIGHT,
    ROTATION_MATRICES,
    WIDTH,
    set_decode_time,
    write_fragmented_mp4,
    write_mp4,
    write_rotated_mp4,
)


def box(kind: bytes, *parts: bytes) -> bytes:
    payload = b''.join(parts)
    return struct.pack('>I4s', 8 + len(payload), kind) + payload


def matrix_bytes(matrix: tuple) -> bytes:
    a, b, c, d = (round(v * 65536) for v in matrix)
    return struct.pack('>9i', a, b, 0, c, d, 0, 0, 0, 1 << 30)


def tkhd(matrix: tuple, version: int = 0) -> bytes:
    # creation, modification, track id 1, reserved, duration
    times = struct.pack('>QQIIQ' if version else '>5I', 0, 0, 1, 0, 0)
    return box(
        b'tkhd',
        bytes([version, 0, 0, 3]),
        times,
        bytes(16),
        matrix_bytes(matrix),
        struct.pack('>2I', 64 << 16, 48 << 16),
    )


def mvhd(matrix: tuple) -> bytes:
    return box(
        b'mvhd',
        bytes(4),
        bytes(16),
        struct.pack('>IH', 1 << 16, 1 << 8),
        bytes(10),
        matrix_bytes(matrix),
        bytes(28),
    )


def trak(
    handler: bytes = b'vide',
    samples: int = 3,
    timed: int = 3,
    stts_entries: int = 1,
    header: bytes = tkhd((1, 0, 0, 1)),
    codec: bytes = b'avc1',
) -> bytes:
    stsd = box(b'stsd', bytes(4), struct.pack('>I', 1), box(codec, bytes(8)))
    stts = box(b'stts', bytes(4), struct.pack('>3I', stts_entries, timed, 512))
    stsz = box(b'stsz', bytes(4), struct.pack('>2I', 0, samples), bytes(4 * samples))
    stbl = box(b'stbl', stsd, stts, stsz)
    hdlr = box(b'hdlr', bytes(8), handler, bytes(12), b'handler\0')
    mdhd = box(b'mdhd', bytes(12), struct.pack('>I', TIMESCALE), bytes(8))
    return box(b'trak', header, box(b'mdia', mdhd, hdlr, box(b'minf', stbl)))


FTYP = box(b'ftyp', b'isom', bytes(4), b'isomavc1')
TIMESCALE, DURATION = 16384, 2048  # 8 fps
# The sample table of a fragmented file is empty; movie extends (mvex) sets the default
# sample duration of track 1 (trex).
FRAGMENTED_MOOV = box(
    b'moov',
    trak(samples=0, timed=0, stts_entries=0),
    box(b'mvex', box(b'trex', bytes(4), struct.pack('>5I', 1, 1, DURATION, 0, 0))),
)


def moof(
    decode_time=None,
    samples: int = 4,
    durations=(),
    claimed=None,
    track_id: int = 1,
    default_duration=None,
) -> bytes:
    """A movie fragment of track ``track_id``: its decode time (tfdt, 64-bit) if given, a
    default sample duration (tfhd) if given, and one track run (trun) of ``samples`` samples
    with ``durations`` each if given (else the default) that claims ``claimed`` samples."""
    tfhd = box(
        b'tfhd',
        struct.pack('>2I', 0x8 if default_duration else 0, track_id),
        struct.pack('>I', default_duration) if default_duration else b'',
    )
    tfdt = (
        b''
        if decode_time is None
        else box(b'tfdt', bytes([1, 0, 0, 0]), struct.pack('>Q', decode_time))
    )
    entries = b''.join(struct.pack('>I', d) for d in durations)
    trun = box(
        b'trun',
        struct.pack('>2I', 0x100 if durations else 0, samples if claimed is None else claimed),
        entries,
    )
    return box(b'moof', box(b'mfhd', bytes(8)), box(b'traf', tfhd, tfdt, trun))


def fragments(*moofs: bytes) -> list:
    return [FTYP, FRAGMENTED_MOOV] + [part for m in moofs for part in (m, box(b'mdat'))]


def header_of(tmp_path, *boxes: bytes):
    path = tmp_path / 'clip.mp4'
    path.write_bytes(b''.join(boxes))
    return read_mp4_header(str(path))


@pytest.mark.parametrize(
    'matrix, rotation',
    [
        ((1, 0, 0, 1), 0),
        ((0, 1, -1, 0), 90),
        ((-1, 0, 0, -1), 180),
        ((0, -1, 1, 0), 270),
        ((2, 0, 0, 2), 0),
        ((0, 1.5, -1.5, 0), 90),  # scaled
        ((0.7071, 0.7071, -0.7071, 0.7071), None),  # 45 degrees
        ((-1, 0, 0, 1), None),
        ((1, 0, 0, -1), None),
        ((0, 1, 1, 0), None),  # mirrors
        ((0, 0, 0, 0), None),
    ],
)
def test_rotation(matrix, rotation):
    assert VideoTrack(matrix, 'avc1', 1).rotation == rotation


def test_rotation_from_track_header(tmp_path):
    for rotation, matrix in ROTATION_MATRICES.items():
        for version in (0, 1):
            header = header_of(
                tmp_path, FTYP, box(b'moov', mvhd((1, 0, 0, 1)), trak(header=tkhd(matrix, version)))
            )
            assert [t.rotation for t in header.video_tracks] == [rotation], (rotation, version)
            assert header.video_tracks[0].codec == 'avc1'
            assert header.video_tracks[0].num_samples == 3


def test_movie_matrix_applies_after_the_track_matrix(tmp_path):
    header = header_of(
        tmp_path, FTYP, box(b'moov', mvhd((0, 1, -1, 0)), trak(header=tkhd((0, 1, -1, 0))))
    )
    assert header.video_tracks[0].rotation == 180


def test_mirror_is_described(tmp_path):
    header = header_of(tmp_path, FTYP, box(b'moov', trak(header=tkhd((-1, 0, 0, 1)))))
    track = header.video_tracks[0]
    assert track.rotation is None
    assert (
        track.describe_matrix() == 'display matrix [-1 0; 0 1] rotates by 180 degrees and mirrors'
    )


def test_track_without_header_has_unknown_rotation(tmp_path):
    track = header_of(tmp_path, FTYP, box(b'moov', trak(header=b''))).video_tracks[0]
    assert track.matrix is None and track.rotation is None
    assert 'no readable track header' in track.describe_matrix()


def test_audio_tracks_are_not_video(tmp_path):
    header = header_of(tmp_path, FTYP, box(b'moov', trak(b'soun'), trak(codec=b'av01')))
    assert [t.codec for t in header.video_tracks] == ['av01']
    assert not header_of(tmp_path, FTYP, box(b'moov', trak(b'soun'))).video_tracks


def test_moov_after_media_data(tmp_path):
    """moov at the end, behind a 64-bit sized mdat; and a last box of size 0 (to the end)."""
    mdat = struct.pack('>I4sQ', 1, b'mdat', 16 + 1000) + bytes(1000)
    header = header_of(tmp_path, FTYP, mdat, box(b'moov', trak()), struct.pack('>I4s', 0, b'free'))
    assert len(header.video_tracks) == 1 and not header.has_fragments


def test_fragments(tmp_path):
    header = header_of(
        tmp_path,
        FTYP,
        box(b'moov', trak(samples=0, timed=0, stts_entries=0)),
        box(b'moof', bytes(8)),
        box(b'mdat', bytes(8)),
    )
    assert header.has_fragments and header.video_tracks[0].num_samples == 0


def test_fragment_timing(tmp_path):
    """Contiguous fragments, timed by decode time (tfdt) or by the end of the previous one,
    with durations from trun, tfhd or trex; a fragment of a track the moov does not have
    is ignored (as FFmpeg does)."""
    header = header_of(
        tmp_path,
        *fragments(
            moof(0),
            moof(4 * DURATION, durations=[DURATION] * 4),
            moof(),
            moof(12 * DURATION, default_duration=DURATION),
            moof(1 << 60, track_id=7),
        ),
    )
    assert header.has_fragments and header.video_tracks[0].num_samples == 0


@pytest.mark.parametrize(
    'moofs, message',
    [
        # the fuzz: one flipped bit (40) of the decode time of fragment 2; decord reserves 16 GiB
        (
            (moof(0), moof((1 << 40) + 4 * DURATION)),
            r'fragment 2: track 1 runs from 6.71089e\+07 s \(decode time 1099511635968\) to '
            r'6.71089e\+07 s; at 8 fps decord would reserve an index for 5.37e\+08 frames',
        ),
        ((moof(0), moof(), moof(1 << 63)), r'fragment 3: negative decode time \(tfdt\) -9223'),
        (
            (moof(0), moof(4 * DURATION, samples=16, default_duration=0xFFFFFFFF)),  # 3 days each
            r'fragment 2: track 1 runs from 0.5 s .* to 4.1943e\+06 s',
        ),
        (
            (moof(0), moof(claimed=1000, durations=[DURATION] * 4)),
            r'fragment 2: a track run \(trun\) of track 1 claims 1000 samples in 24 bytes',
        ),
        ((moof(0, samples=1 << 25),), 'the fragments claim 33554432 samples'),
    ],
)
def test_corrupt_fragments(tmp_path, moofs, message):
    with pytest.raises(Mp4HeaderError, match=message):
        header_of(tmp_path, *fragments(*moofs))


@pytest.mark.parametrize(
    'movflags',
    [
        'frag_keyframe+empty_moov',
        'frag_keyframe+empty_moov+default_base_moof',
        'frag_keyframe',  # the first fragment in the moov
        'frag_every_frame+empty_moov+separate_moof+omit_tfhd_offset',
    ],
)
def test_written_fragmented_files(tmp_path, movflags):
    header = read_mp4_header(write_fragmented_mp4(tmp_path / 'clip.mp4', movflags))
    assert header.has_fragments and [t.rotation for t in header.video_tracks] == [0]


def test_written_fragment_with_corrupt_decode_time(tmp_path):
    path = write_fragmented_mp4(tmp_path / 'clip.mp4')
    set_decode_time(path, 3, (1 << 40) + 8 * 2048)
    with pytest.raises(Mp4HeaderError, match=r'fragment 3: track 1 runs from 6.71089e\+07 s'):
        read_mp4_header(path)


@pytest.mark.parametrize(
    'data',
    [
        b'\x1aE\xdf\xa3' + bytes(40),
        b'RIFF\x00\x00\x00\x00AVI ',
        b'<html>404 Not Found</html>',
        b'\x00\x00',
    ],
)
def test_other_files_are_not_iso_media(tmp_path, data):
    assert header_of(tmp_path, data) is None


@pytest.mark.parametrize(
    'boxes, message',
    [
        ((FTYP, struct.pack('>I4s', 5000, b'mdat') + bytes(100)), 'no moov box'),
        ((FTYP, box(b'moov', trak())[:-20]), 'moov box is cut off'),
        ((FTYP, box(b'moov', trak(stts_entries=300))), r'\(stts\) claims 300 entries'),
        ((FTYP, box(b'moov', trak(timed=3_000_000_000))), 'sample tables disagree: 3000000000'),
    ],
)
def test_unusable_headers(tmp_path, boxes, message):
    with pytest.raises(Mp4HeaderError, match=message):
        header_of(tmp_path, *boxes)


@pytest.mark.parametrize('rotation', [0, 90, 180, 270])
def test_written_files_agree_with_ffmpeg(tmp_path, rotation):
    """The display matrix the fixtures write is the rotation FFmpeg (PyAV) reads."""
    av = pytest.importorskip('av')
    path = write_rotated_mp4(tmp_path / 'clip.mp4', rotation)
    header = read_mp4_header(path)
    assert [(t.rotation, t.codec, t.num_samples) for t in header.video_tracks] == [
        (rotation, 'avc1', 6)
    ]
    with av.open(path) as container:
        frame = next(container.decode(video=0))
    if not hasattr(frame, 'rotation'):
        pytest.skip('this PyAV does not report the display rotation')
    assert -frame.rotation % 360 == rotation  # PyAV counts counter-clockwise


def test_plain_mp4(tmp_path):
    header = read_mp4_header(write_mp4(tmp_path / 'clip.mp4', num_frames=5))
    assert [(t.rotation, t.num_samples) for t in header.video_tracks] == [(0, 5)]


def test_reads_the_coded_frame_size(tmp_path):
    header = read_mp4_header(write_mp4(tmp_path / 'clip.mp4'))
    assert header is not None and header.video_tracks[0].size == (WIDTH, HEIGHT)
