"""Open a video file with decord."""

import io
import math
import os
import re
from contextlib import contextmanager
from typing import Any, BinaryIO, Dict, Iterator, Optional, Tuple, Union

from mmcv.transforms import BaseTransform

from vtp.datasets.sample_error import SampleError
from vtp.datasets.transforms.clip_cache import ClipCache, FillingReader
from vtp.datasets.transforms.mp4_header import Mp4Header, Mp4HeaderError, read_mp4_header
from vtp.datasets.transforms.pyav_reader import PyAVReader, UnusableVideo
from vtp.registry import TRANSFORMS
from vtp.utils.checks import require_int, require_number

DECODERS = ('decord', 'pyav')
# Frames or pictures of more pixels are refused before decoding (8192 x 8192; 8K video is
# 7680 x 4320): a header of a few hundred bytes can declare a picture of gigabytes.
MAX_PIXELS = 2**26
# FFmpeg's AVERROR_DECODER_NOT_FOUND, which decord quotes when it has no decoder for the codec.
DECODER_NOT_FOUND = str(-0x434544F8)


@contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null: FFmpeg inside decord prints its own lines for every
    broken file, and vtp reports each broken sample once, in one line, instead."""
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def check_file(path: str) -> None:
    """Raise :class:`SampleError` if ``path`` is missing or empty."""
    try:
        size = os.path.getsize(path)
    except OSError:
        raise SampleError(path, 'missing file') from None
    if size == 0:
        raise SampleError(path, 'empty file')


def media_source(results: Dict[str, Any]) -> Tuple[str, Union[str, BinaryIO]]:
    """``(name, source)`` of a sample's media: the file ``filename``, checked by
    :func:`check_file`, or, when the dataset read the bytes itself (a member of a tar shard),
    ``media_bytes`` in a ``BytesIO``, ``filename`` then naming it in messages only."""
    path: str = results['filename']
    data: Optional[bytes] = results.get('media_bytes')
    if data is None:
        check_file(path)
        return path, path
    if not data:
        raise SampleError(path, 'empty file')
    return path, io.BytesIO(data)


def first_line(error: BaseException) -> str:
    """The first line of a decoder's message, without decord's ``[time] source:line:``
    prefixes (decord appends a C++ stack trace to its messages)."""
    line = (str(error).splitlines() or [''])[0]
    return re.sub(r'\[[\d:]+\] \S+:\d+: ', '', line).strip()


def check_size(path: str, height: int, width: int, max_pixels: int) -> None:
    """Raise :class:`SampleError` for frames or a picture of more than ``max_pixels``."""
    if height * width > max_pixels:
        raise SampleError(
            path, 'too many pixels', f'{width}x{height}, more than {max_pixels} pixels'
        )


def check_header(path: str, header: Mp4Header, max_pixels: int = MAX_PIXELS) -> None:
    """Raise :class:`SampleError` for an mp4/mov without video frames, whose picture decord
    would not turn upright, or whose coded frames have more than ``max_pixels``."""
    tracks = header.video_tracks
    if not tracks:
        raise SampleError(path, 'no video stream')
    if not header.has_fragments and not any(track.num_samples for track in tracks):
        raise SampleError(path, 'video without frames')
    for track in tracks:
        if track.matrix is None:
            raise SampleError(path, 'unknown rotation', track.describe_matrix())
        if track.rotation is None:
            raise SampleError(path, 'unsupported rotation', track.describe_matrix())
    if len({track.rotation for track in tracks}) > 1:
        raise SampleError(path, 'unknown rotation', 'its video tracks rotate differently')
    for track in tracks:
        check_size(path, track.size[1], track.size[0], max_pixels)


def probe_size(source: Union[str, BinaryIO]) -> Tuple[int, int]:
    """(H, W) of the first video stream's coded frames as FFmpeg's probe reads them, without
    decoding; (0, 0) when it finds none (the decoder then says what is wrong)."""
    import av

    try:
        with native_stderr_silenced(), av.open(source) as container:
            streams = container.streams.video
            context = streams[0].codec_context if streams else None
            return (context.height, context.width) if context is not None else (0, 0)
    except (av.error.FFmpegError, OSError, ValueError):
        return 0, 0
    finally:
        if not isinstance(source, str):
            source.seek(0)


def open_failure(path: str, error: Exception, header: Optional[Mp4Header]) -> SampleError:
    """The :class:`SampleError` for a file decord cannot open."""
    message = first_line(error)
    if isinstance(error, AssertionError):  # decord asserts a positive frame count
        return SampleError(path, 'video without frames', message)
    if 'cannot find video stream' in message:
        if DECODER_NOT_FOUND not in message:
            return SampleError(path, 'no video stream', message)
        codecs = ', '.join(track.codec for track in header.video_tracks) if header else ''
        return SampleError(path, 'unsupported codec', codecs or message)
    return SampleError(path, 'undecodable video', message)


def open_pyav(
    path: str,
    header: Optional[Mp4Header],
    source: Union[str, BinaryIO, None] = None,
    max_pixels: int = MAX_PIXELS,
) -> PyAVReader:
    """A :class:`PyAVReader` of ``source`` (``path`` by default; checked by
    :func:`check_header` if an mp4) with frames of at most ``max_pixels``, or the
    :class:`SampleError`, naming ``path``, saying why not."""
    import av

    rotation = header.video_tracks[0].rotation or 0 if header else 0
    try:
        with native_stderr_silenced():
            reader = PyAVReader(path if source is None else source, rotation)
    except UnusableVideo as e:
        raise SampleError(path, e.reason, e.detail) from None
    except av.error.FFmpegError as e:
        raise SampleError(path, 'undecodable video', first_line(e)) from None
    listed = header.video_tracks[0].num_samples if header and header.video_tracks else 0
    if header and header.cut_off and reader.num_packets < listed:  # as decord refuses it
        reader.close()
        raise SampleError(
            path,
            'undecodable video',
            f'truncated: {reader.num_packets} of the {listed} frames its header lists are in '
            'the file',
        )
    if len(reader) == 0:
        raise SampleError(path, 'video without frames')
    if not (math.isfinite(reader.fps) and reader.fps > 0):
        raise SampleError(path, 'zero duration', f'average frame rate {reader.fps}')
    check_size(path, *reader.shape, max_pixels)
    return reader


@TRANSFORMS.register_module()
class OpenVideo(BaseTransform):
    """Open ``filename`` with ``decord.VideoReader`` (inside the dataloader worker).

    Any file decord cannot serve raises :class:`SampleError`, so the dataset replaces the
    sample and ``DataHealthHook`` counts it by reason: ``'missing file'``, ``'empty file'``,
    ``'unreadable file'`` (a folder, no permission, an I/O error), ``'undecodable video'``
    (garbage, a truncated download, contradictory sample tables, corrupt fragment timing or
    sample counts), ``'no video stream'`` (audio only), ``'video without frames'``,
    ``'unsupported codec'`` (e.g. AV1, which decord's FFmpeg 4.1 cannot decode), ``'zero
    duration'`` (no frame rate: decord's frame seeking would return wrong frames),
    ``'unknown rotation'``, ``'unsupported rotation'`` and ``'too many pixels'`` (more than
    ``max_pixels``, read from the header before anything is decoded; PyAV also checks the
    size the codec declares, and ``DecodeVideo`` the frames decord gave, so a header that
    understates the size costs at most the asked frames at the codec's size, then is refused).

    Frames come out upright, as a player shows them: decord applies the display rotation of
    mp4/mov files (phone videos) when it decodes, swapping height and width for 90 and 270
    degrees. It ignores any other display transform (another angle, a mirror), so such files
    are refused; vtp reads the header itself (:func:`read_mp4_header`, a few small reads) to
    tell. Other containers (mkv, webm, avi) are decoded as stored.

    Two decoders read the same frames (bit-exact) and the same broken files as broken:
    ``'decord'`` and ``'pyav'`` (:class:`PyAVReader`), which decodes only the frames the asked
    ones need, skips the rest, and can scale in its colour conversion
    (``DecodeVideo(short_side=...)``): on one core it takes 0.6-0.8x decord's time on camera
    clips with B-frames (``tools/analysis/benchmark_data.py``). With ``'pyav'``, AV1 and
    frames 16, 24, 48 or 72 pixels wide decode too (decord 0.6.0 cannot), a file whose
    frames share one time stamp is ``'zero duration'``, and a stream that decodes to no
    picture is ``'undecodable frames'`` (from ``DecodeVideo``).

    The video is the file ``filename``, or, when the dataset read it from a tar shard, the bytes
    ``media_bytes`` (decoded in memory; ``filename`` names the member in messages).

    With ``cache_mb``, every frame of a clip is kept in memory after its first visit
    (:class:`~vtp.datasets.transforms.clip_cache.ClipCache`, while clips fit, per process)
    and later visits read no file: the same frames, for a corpus small enough to hold (the
    demo's 2,000 clips of 16 frames at 64 px take 393 MiB). A first visit decodes the asked
    frames, then the whole clip if it fits. Each dataloader worker process holds its own cache,
    lost at the end of an epoch unless the workers are persistent.

    **Required Keys:** ``filename``; ``media_bytes`` (optional)

    **Added Keys:** ``video_reader``, ``total_frames``, ``avg_fps``, ``max_pixels``

    Args:
        num_threads: decoder threads per reader (decord only, where 0 lets it choose; PyAV
            decodes on one thread).
        decoder: ``'decord'`` or ``'pyav'``.
        cache_mb: MiB of decoded frames to keep in memory; 0 keeps none.
        max_pixels: refuse videos whose frames have more pixels (width x height).
    """

    def __init__(
        self,
        num_threads: int = 1,
        decoder: str = 'decord',
        cache_mb: float = 0,
        max_pixels: int = MAX_PIXELS,
    ) -> None:
        if decoder not in DECODERS:
            raise ValueError(f'decoder must be one of {DECODERS}, got {decoder!r}')
        cache_mb = require_number('OpenVideo: cache_mb (MiB)', cache_mb, minimum=0)
        self.num_threads = require_int('OpenVideo: num_threads', num_threads, 0)
        self.decoder = decoder
        self.max_pixels = require_int('OpenVideo: max_pixels', max_pixels, 1)
        self.cache = ClipCache(math.ceil(cache_mb * 2**20)) if cache_mb else None

    def transform(self, results: Dict[str, Any]) -> Dict[str, Any]:
        results['max_pixels'] = self.max_pixels  # DecodeVideo checks the decoded frames too
        if self.cache is None:
            return self._open(results)
        media_source(results)  # a missing or empty file fails here, as without a cache
        key = self.cache.key(results)
        clip = self.cache.get(key)
        if clip is not None:
            results.update(video_reader=clip, total_frames=len(clip), avg_fps=clip.fps)
            return results
        results = self._open(results)
        results['video_reader'] = FillingReader(
            results['video_reader'], self.cache, key, results['avg_fps']
        )
        return results

    def _open(self, results: Dict[str, Any]) -> Dict[str, Any]:
        import decord

        path, source = media_source(results)
        try:
            header = read_mp4_header(source)
        except Mp4HeaderError as e:
            raise SampleError(path, 'undecodable video', str(e)) from None
        except OSError as e:  # a folder, no permission, a failing disk or network mount
            raise SampleError(path, 'unreadable file', str(e)) from None
        if header is not None:
            check_header(path, header, self.max_pixels)
        if self.decoder == 'pyav':
            reader = open_pyav(path, header, source, self.max_pixels)
            results['video_reader'] = reader
            results['total_frames'] = len(reader)
            results['avg_fps'] = reader.fps
            return results
        if header is None:  # not an mp4/mov: its frame size from FFmpeg's probe
            check_size(path, *probe_size(source), self.max_pixels)
        try:
            with native_stderr_silenced():
                reader = decord.VideoReader(source, num_threads=self.num_threads)
        except (decord.DECORDError, RuntimeError, AssertionError) as e:
            raise open_failure(path, e, header) from None
        if len(reader) == 0:
            raise SampleError(path, 'video without frames')
        fps = reader.get_avg_fps()
        if not (math.isfinite(fps) and fps > 0):
            raise SampleError(path, 'zero duration', f'average frame rate {fps}')
        results['video_reader'] = reader
        results['total_frames'] = len(reader)
        results['avg_fps'] = fps
        return results
