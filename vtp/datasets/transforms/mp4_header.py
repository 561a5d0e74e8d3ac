"""Read the header of an ISO base media file (mp4, mov, m4v, 3gp) without decoding it.

decord decodes such files with FFmpeg and turns the picture upright by the display matrix itself,
but it does not say what it found: an audio-only file and one with an empty video track give the
same error, a display matrix that is no rotation by a multiple of 90 degrees (or that mirrors)
is silently ignored, and sample tables that contradict each other make it size its frame index
by garbage and abort the whole process, as do movie fragments whose decode times put the end
of the video days or years away. :func:`read_mp4_header` reads the few boxes that tell these
apart (``moov`` > ``mvhd``, ``trak`` > ``tkhd``, ``mdhd``, ``hdlr``, ``stsd``, ``stts``,
``stsz``/``stz2``; ``mvex`` > ``trex``; each top-level ``moof`` > ``traf`` > ``tfhd``,
``tfdt``, ``trun``), seeking over the media data: a few small reads, one more per fragment.
"""

import math
import struct
from dataclasses import dataclass, replace
from typing import BinaryIO, Dict, Iterator, List, Optional, Tuple, Union

import numpy as np

# Box types an ISO base media file (or a QuickTime movie) can start with.
FIRST_BOX_TYPES = frozenset(
    {
        b'ftyp',
        b'moov',
        b'mdat',
        b'free',
        b'skip',
        b'wide',
        b'pnot',
        b'uuid',
        b'styp',
        b'sidx',
        b'pdin',
        b'meta',
        b'junk',
    }
)
# Boxes of a track that hold other boxes, in which FFmpeg looks for any box it knows.
CONTAINERS = frozenset({b'mdia', b'minf', b'dinf', b'stbl', b'edts', b'udta'})
MAX_MOOV_BYTES = 1 << 28  # a moov box this large is corrupt (an hour of 60 fps video: ~3 MB)
MAX_MOOF_BYTES = 1 << 24  # read of one fragment header (an hour of 60 fps in one: ~3.5 MB)
# Without a sample count in the moov (fragmented files), decord reserves 32 bytes of frame
# index per frame it expects, frame rate times the end time of the file, before reading any:
# more than this (512 MiB; 6 days at 30 fps) is a corrupt time, and its allocation can abort.
MAX_EXPECTED_FRAMES = 1 << 24


class Mp4HeaderError(ValueError):
    """The file starts as an ISO base media file, but no decoder can use its header."""


@dataclass(frozen=True)
class VideoTrack:
    """What the header says about one track with a video handler.

    Attributes:
        matrix: ``(a, b, c, d)``, the linear part of the display matrix (track matrix times
            movie matrix): a coded pixel ``(x, y)`` (x right, y down) is shown at
            ``(a x + c y, b x + d y)`` plus a translation; None without a readable ``tkhd``.
        codec: four-character code of the first sample description (``'avc1'``, ``'av01'``).
        num_samples: samples in the sample table (not those in movie fragments).
        size: ``(width, height)`` of the coded pictures in the first sample description;
            ``(0, 0)`` when it has none.
    """

    matrix: Optional[Tuple[float, float, float, float]]
    codec: str
    num_samples: int
    size: Tuple[int, int] = (0, 0)

    @property
    def rotation(self) -> Optional[int]:
        """Degrees (0, 90, 180 or 270) a player turns the coded picture clockwise, or None
        when the matrix is unreadable or no such rotation (another angle, a mirror)."""
        if self.matrix is None:
            return None
        a, b, c, d = self.matrix
        if b == c == 0 and a * d > 0:
            return 0 if a > 0 else 180
        if a == d == 0 and b * c < 0:
            return 90 if b > 0 else 270
        return None

    def describe_matrix(self) -> str:
        """The display transform in words, for error messages."""
        if self.matrix is None:
            return 'no readable track header (tkhd)'
        a, b, c, d = self.matrix
        mirrored = ' and mirrors' if a * d - b * c < 0 else ''
        return (
            f'display matrix [{a:g} {b:g}; {c:g} {d:g}] rotates by '
            f'{math.degrees(math.atan2(b, a)):g} degrees{mirrored}'
        )


@dataclass(frozen=True)
class Mp4Header:
    """The video tracks of an ISO base media file, whether it has movie fragments (whose
    samples the tracks' sample tables do not count), and whether a top-level box runs past the
    end of the file (``cut_off``: a download stopped in its media data)."""

    video_tracks: List[VideoTrack]
    has_fragments: bool
    cut_off: bool = False


def read_mp4_header(path: Union[str, BinaryIO]) -> Optional[Mp4Header]:
    """Read the header of ``path`` (a file name, or a seekable binary file such as the bytes of
    a shard member in a ``BytesIO``); None if the file is no ISO base media file (mkv, avi,
    garbage: the decoder decides about those).

    Raises:
        Mp4HeaderError: the ``moov`` box is missing or cut off (a download stopped before its
            end), the video sample tables contradict each other, or a movie fragment's sample
            count or timing is corrupt (see :func:`_check_fragments`).
    """
    if isinstance(path, str):
        with open(path, 'rb') as f:
            found = _read_top_level(f)
    else:
        found = _read_top_level(path)
        path.seek(0)
    if found is None:
        return None
    moov, moofs, cut_off = found
    movie = (1.0, 0.0, 0.0, 1.0)
    tracks: List[VideoTrack] = []
    for kind, start, end in _boxes(moov, 0, len(moov)):
        if kind == b'mvhd':
            movie = _matrix(moov, start, end, v0_offset=36, v1_offset=48) or movie
        elif kind == b'trak':
            track = _video_track(moov, start, end)
            if track is not None:
                tracks.append(track)
    if moofs:
        _check_fragments(moov, moofs)
    return Mp4Header(
        [replace(t, matrix=_times(t.matrix, movie)) if t.matrix else t for t in tracks],
        bool(moofs),
        cut_off,
    )


def _read_top_level(f: BinaryIO) -> Optional[Tuple[bytes, List[bytes], bool]]:
    """The payloads of the top-level ``moov`` box and of the ``moof`` boxes (movie
    fragments), seeking over the other boxes (``mdat``), and whether a box runs past the end of
    the file; None if the file is no ISO base media file."""
    f.seek(0, 2)
    file_size = f.tell()
    if file_size < 8:
        return None
    pos, moov, moofs, cut_off = 0, None, [], False
    while pos + 8 <= file_size:
        f.seek(pos)
        head = f.read(16)
        size, kind = struct.unpack_from('>I4s', head)
        header = 8
        if size == 1 and len(head) == 16:
            size, header = struct.unpack_from('>Q', head, 8)[0], 16
        elif size == 0:
            size = file_size - pos
        if pos == 0 and kind not in FIRST_BOX_TYPES:
            return None
        if size < header:
            break
        if kind == b'moov' and moov is None:
            if pos + size > file_size:
                raise Mp4HeaderError(
                    f'the moov box is cut off ({file_size - pos} of {size} '
                    'bytes): an incomplete file'
                )
            if size > MAX_MOOV_BYTES:
                raise Mp4HeaderError(f'a moov box of {size} bytes')
            f.seek(pos + header)
            moov = f.read(size - header)
        elif kind == b'moof':  # FFmpeg reads a fragment cut off by the end of the file too
            read = min(size, MAX_MOOF_BYTES)
            moofs.append((head + f.read(max(read - len(head), 0)))[header:read])
        cut_off = cut_off or pos + size > file_size
        pos += size
    if moov is None:
        raise Mp4HeaderError('no moov box: an incomplete file (its index was to come at the end)')
    return moov, moofs, cut_off


def _boxes(data: bytes, start: int, end: int) -> Iterator[Tuple[bytes, int, int]]:
    """``(type, payload start, payload end)`` of the boxes in ``data[start:end]``; a box
    larger than its parent is cut to it, as FFmpeg does."""
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from('>I4s', data, pos)
        header = 8
        if size == 1 and pos + 16 <= end:
            size, header = struct.unpack_from('>Q', data, pos + 8)[0], 16
        elif size == 0:
            size = end - pos
        if size < header:
            return
        yield kind, pos + header, min(pos + size, end)
        pos += size


def _child(data: bytes, start: int, end: int, *path: bytes) -> Optional[Tuple[int, int]]:
    """Payload bounds of the box at ``path`` below ``data[start:end]`` (first match)."""
    for name in path:
        found = next(((s, e) for kind, s, e in _boxes(data, start, end) if kind == name), None)
        if found is None:
            return None
        start, end = found
    return start, end


def _find(data: bytes, start: int, end: int, kind: bytes) -> Optional[Tuple[int, int]]:
    """Payload bounds of the first box ``kind`` in ``data[start:end]``, depth first through
    container boxes: FFmpeg reads a sample table wherever it sits in its track, also inside a
    box whose corrupt size swallowed it."""
    for found, s, e in _boxes(data, start, end):
        if found == kind:
            return s, e
        inner = _find(data, s, e, kind) if found in CONTAINERS else None
        if inner is not None:
            return inner
    return None


def _matrix(
    data: bytes, start: int, end: int, v0_offset: int, v1_offset: int
) -> Optional[Tuple[float, float, float, float]]:
    """``(a, b, c, d)`` of the 3x3 matrix in a ``tkhd`` or ``mvhd`` payload (16.16 fixed)."""
    offset = start + (v1_offset if data[start] == 1 else v0_offset)
    if offset + 36 > end:
        return None
    a, b, _, c, d = struct.unpack_from('>5i', data, offset)
    return a / 65536, b / 65536, c / 65536, d / 65536


def _times(
    m: Tuple[float, float, float, float], n: Tuple[float, float, float, float]
) -> Tuple[float, float, float, float]:
    """The 2x2 product ``m n`` (row-vector convention: ``m`` applies first)."""
    return (
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
    )


def _video_track(data: bytes, start: int, end: int) -> Optional[VideoTrack]:
    """The ``trak`` payload ``data[start:end]`` as a :class:`VideoTrack`; None if not video."""
    hdlr = _child(data, start, end, b'mdia', b'hdlr')
    if hdlr is None or data[hdlr[0] + 8 : hdlr[0] + 12] != b'vide':
        return None
    tkhd = _child(data, start, end, b'tkhd')
    matrix = _matrix(data, *tkhd, v0_offset=40, v1_offset=52) if tkhd else None
    stsd = _find(data, start, end, b'stsd')
    codec = data[stsd[0] + 12 : stsd[0] + 16].decode('latin-1') if stsd else ''
    # a visual sample entry holds width and height (16 bits each) 32 bytes into it
    entry = stsd[0] + 8 if stsd and stsd[0] + 44 <= stsd[1] else None
    size = struct.unpack_from('>HH', data, entry + 32) if entry is not None else (0, 0)
    return VideoTrack(matrix, codec, _num_samples(data, start, end), size)


def _num_samples(data: bytes, start: int, end: int) -> int:
    """Samples of the ``trak`` payload ``data[start:end]``, checked against its time table.

    FFmpeg counts the frames of a stream by ``stts`` and decord sizes its frame index by that
    count: an ``stts`` entry count larger than its box reads other boxes as sample counts
    (billions of frames), and decord aborts the process allocating for them.
    """
    sizes = _find(data, start, end, b'stsz') or _find(data, start, end, b'stz2')
    count = (
        struct.unpack_from('>I', data, sizes[0] + 8)[0]
        if sizes and sizes[0] + 12 <= sizes[1]
        else 0
    )
    stts = _find(data, start, end, b'stts')
    if stts is None:
        return count
    entries = struct.unpack_from('>I', data, stts[0] + 4)[0] if stts[0] + 8 <= stts[1] else 0
    if stts[0] + 8 + 8 * entries > stts[1]:
        raise Mp4HeaderError(
            f'the time-to-sample table (stts) claims {entries} entries in {stts[1] - stts[0]} bytes'
        )
    table = np.frombuffer(data, '>u4', count=2 * entries, offset=stts[0] + 8)
    timed = int(table[0::2].sum(dtype=np.int64))  # (sample count, sample delta) pairs
    if timed != count:
        raise Mp4HeaderError(
            f'the sample tables disagree: {timed} samples timed (stts), {count} sized (stsz)'
        )
    return count


def _u32(data: bytes, offset: int, end: int) -> Optional[int]:
    """The big-endian unsigned 32-bit integer at ``offset``; None past ``end``."""
    return struct.unpack_from('>I', data, offset)[0] if offset + 4 <= end else None


@dataclass
class _FragmentedTrack:
    """What FFmpeg keeps of a track while it reads movie fragments: time units per second,
    the decode time where the track's samples end so far, and the default sample duration."""

    timescale: int
    end: int
    video: bool
    default_duration: int = 0


def _fragmented_track(data: bytes, start: int, end: int) -> Tuple[int, _FragmentedTrack]:
    """``(track ID, track)`` of the ``trak`` payload ``data[start:end]`` (0 for what is
    unreadable); its samples in the ``moov`` end at the sum of the ``stts`` durations."""
    track_id, timescale, ticks = 0, 0, 0
    tkhd = _child(data, start, end, b'tkhd')
    if tkhd:  # version 1 has 64-bit times before the track ID
        track_id = (
            _u32(data, tkhd[0] + (20 if data[tkhd[0] : tkhd[0] + 1] == b'\1' else 12), tkhd[1]) or 0
        )
    mdhd = _child(data, start, end, b'mdia', b'mdhd')
    if mdhd:
        timescale = (
            _u32(data, mdhd[0] + (20 if data[mdhd[0] : mdhd[0] + 1] == b'\1' else 12), mdhd[1]) or 0
        )
    stts = _find(data, start, end, b'stts')
    entries = _u32(data, stts[0] + 4, stts[1]) if stts else None
    if stts and entries and stts[0] + 8 + 8 * entries <= stts[1]:
        table = np.frombuffer(data, '>u4', count=2 * entries, offset=stts[0] + 8).astype(
            np.int64
        )  # (sample count, sample delta) pairs
        ticks = int(np.dot(table[0::2], table[1::2]))
    hdlr = _child(data, start, end, b'mdia', b'hdlr')
    video = hdlr is not None and data[hdlr[0] + 8 : hdlr[0] + 12] == b'vide'
    return track_id, _FragmentedTrack(timescale, ticks, video)


def _check_fragments(moov: bytes, moofs: List[bytes]) -> None:
    """Raise :class:`Mp4HeaderError` for movie fragments (``moof`` payloads, in file order)
    that make decord abort the process.

    FFmpeg times the samples of a fragment from its decode time (``tfdt``, else where the
    track's previous samples ended) plus their durations (``trun``, else the default of
    ``tfhd`` or ``trex``), and reads as many samples as a track run (``trun``) claims, past
    its box. Without a sample count in the ``moov``, decord sizes its frame index by frame
    rate times the end of the latest track before it reads a sample: one corrupt byte of a
    64-bit decode time makes it reserve billions of frames and abort (``std::bad_alloc``).
    The frame rate taken is the highest of any video track run (FFmpeg estimates it from
    the first samples), or a frame per time unit without one.
    """
    tracks: Dict[int, _FragmentedTrack] = {}
    for kind, start, end in _boxes(moov, 0, len(moov)):
        if kind == b'trak':
            track_id, track = _fragmented_track(moov, start, end)
            if track.timescale:
                tracks[track_id] = track
    mvex = _child(moov, 0, len(moov), b'mvex')
    for kind, start, end in _boxes(moov, *mvex) if mvex else ():
        if kind == b'trex' and start + 16 <= end:  # flags, track ID, index, duration
            _, track_id, _, duration = struct.unpack_from('>4I', moov, start)
            if track_id in tracks:
                tracks[track_id].default_duration = duration
    runs = []  # (fragment number, track ID, first decode time, samples, duration)
    for number, moof in enumerate(moofs, 1):
        for kind, start, end in _boxes(moof, 0, len(moof)):
            if kind == b'traf':
                runs += _fragment_runs(moof, start, end, number, tracks)
    if sum(run[3] for run in runs) > MAX_EXPECTED_FRAMES:
        raise Mp4HeaderError(f'the fragments claim {sum(run[3] for run in runs)} samples')
    fps = max(
        (
            samples * tracks[track_id].timescale / duration
            for _, track_id, _, samples, duration in runs
            if tracks[track_id].video and samples and duration
        ),
        default=max((t.timescale for t in tracks.values()), default=0),
    )
    for number, track_id, first, _, duration in runs:
        timescale = tracks[track_id].timescale
        frames = (first + duration) / timescale * fps
        if frames > MAX_EXPECTED_FRAMES:
            raise Mp4HeaderError(
                f'fragment {number}: track {track_id} runs from {first / timescale:.6g} s '
                f'(decode time {first}) to {(first + duration) / timescale:.6g} s; at '
                f'{fps:.3g} fps decord would reserve an index for {frames:.3g} frames'
            )


def _fragment_runs(
    data: bytes, start: int, end: int, number: int, tracks: Dict[int, _FragmentedTrack]
) -> List[Tuple[int, int, int, int, int]]:
    """``(fragment number, track ID, first decode time, samples, duration)`` of each track
    run (``trun``) in the ``traf`` payload ``data[start:end]``, advancing the end of its track
    in ``tracks``; nothing for a track the ``moov`` does not have, which FFmpeg ignores."""
    boxes = list(_boxes(data, start, end))
    tfhd = next(((s, e) for kind, s, e in boxes if kind == b'tfhd'), None)
    track_id = _u32(data, tfhd[0] + 4, tfhd[1]) if tfhd else None
    if tfhd is None or track_id not in tracks:
        return []
    track = tracks[track_id]
    flags = struct.unpack_from('>I', data, tfhd[0])[0] & 0xFFFFFF  # in range: the track ID was read
    offset = tfhd[0] + 8 + 8 * (flags & 0x1) + 2 * (flags & 0x2)  # base offset, description
    duration = _u32(data, offset, tfhd[1]) if flags & 0x8 else track.default_duration
    tfdt = next(((s, e) for kind, s, e in boxes if kind == b'tfdt'), None)
    if tfdt and tfdt[0] + 8 <= tfdt[1]:
        wide = data[tfdt[0]] == 1 and tfdt[0] + 12 <= tfdt[1]
        track.end = struct.unpack_from('>Q' if wide else '>I', data, tfdt[0] + 4)[0]
        if track.end >= 1 << 63:  # FFmpeg reads it signed
            raise Mp4HeaderError(
                f'fragment {number}: negative decode time (tfdt) '
                f'{track.end - (1 << 64)} of track {track_id}'
            )
    runs = []
    for kind, s, e in boxes:
        if kind != b'trun' or s + 8 > e:
            continue
        flags, samples = struct.unpack_from('>2I', data, s)
        fields = bin(flags & 0xF00).count('1')  # duration, size, flags, composition offset
        first = s + 8 + 4 * (flags & 0x1) + (flags & 0x4)  # data offset, first sample flags
        if first + 4 * fields * samples > e:
            raise Mp4HeaderError(
                f'fragment {number}: a track run (trun) of track {track_id} '
                f'claims {samples} samples in {e - s} bytes'
            )
        if flags & 0x100 and samples:
            table = np.frombuffer(data, '>u4', count=fields * samples, offset=first)
            total = int(table[0::fields].sum(dtype=np.int64))
        else:
            total = (duration or 0) * samples
        runs.append((number, track_id, track.end, samples, total))
        track.end += total
    return runs
