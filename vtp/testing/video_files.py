"""Tiny real mp4 and jpg files for data tests, written with PyAV and PIL, and the broken and
rotated kinds of mp4 that web corpora and phones produce."""

import struct
from pathlib import Path
from typing import Callable, List, Optional, Tuple, Union

import av
import numpy as np

HEIGHT, WIDTH = 48, 64
BASE, STEP = 16, 14  # grey level of frame i (< 16): BASE + STEP * i

# A portrait picture as phones film it; decord 0.6.0 cannot decode frames 16, 24, 48 or 72
# pixels wide (its copy of FFmpeg's padded rows), so no orientation of it is that wide.
UPRIGHT_HEIGHT, UPRIGHT_WIDTH = 96, 64
BAND = 12  # the red band on top and the green band on the left of the upright picture
# Display matrices (a, b, c, d) that turn the stored picture clockwise by so many degrees.
ROTATION_MATRICES = {0: (1, 0, 0, 1), 90: (0, 1, -1, 0), 180: (-1, 0, 0, -1), 270: (0, -1, 1, 0)}


def write_frames(
    path: Path,
    frames: List[np.ndarray],
    fps: int = 8,
    movflags: str = '',
    keyframe_interval: Optional[int] = None,
) -> str:
    """Encode RGB ``frames`` (H, W, 3) as H.264 in an mp4 (moov at the end unless ``movflags``
    say otherwise), a keyframe every ``keyframe_interval`` frames if given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    options = {'movflags': movflags} if movflags else {}
    with av.open(str(path), mode='w', options=options) as container:
        stream = container.add_stream('libx264', rate=fps)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = 'yuv420p'
        stream.options = {'crf': '10', 'preset': 'ultrafast', 'threads': '1'}
        if keyframe_interval:
            stream.options = {
                **stream.options,
                'g': str(keyframe_interval),
                'keyint_min': str(keyframe_interval),
                'sc_threshold': '0',
            }
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format='rgb24')))
        container.mux(stream.encode(None))
    return str(path)


def grey_frames(num_frames: int) -> List[np.ndarray]:
    """(H, W, 3) frames: frame i is grey ``BASE + STEP * i`` with a red 8x8 square at
    x = 4 + 4i."""
    assert num_frames <= 16, 'grey levels identify at most 16 frames'
    frames = []
    for i in range(num_frames):
        frame = np.full((HEIGHT, WIDTH, 3), BASE + STEP * i, np.uint8)
        frame[8:16, 4 + 4 * i : 12 + 4 * i] = (255, 0, 0)
        frames.append(frame)
    return frames


def write_mp4(path: Path, num_frames: int = 12, fps: int = 8) -> str:
    """A tiny mp4 of :func:`grey_frames`."""
    return write_frames(path, grey_frames(num_frames), fps)


def write_fragmented_mp4(
    path: Path, movflags: str = 'frag_keyframe+empty_moov', num_frames: int = 16, fps: int = 8
) -> str:
    """A fragmented mp4 of :func:`grey_frames`, as recorders and streaming servers write:
    a keyframe every 4 frames, and with ``frag_keyframe`` a movie fragment (``moof`` and
    ``mdat``) from each (4 fragments of 0.5 s); time scale 16384 per second at 8 fps."""
    return write_frames(path, grey_frames(num_frames), fps, movflags, keyframe_interval=4)


def fragment_box(data: Union[bytes, bytearray], fragment: int, kind: bytes) -> Tuple[int, int]:
    """Bounds of the payload of the first box ``kind`` in movie fragment ``fragment`` (1 is
    the first ``moof``) of a one-track file, found by type codes."""
    at = -1
    for _ in range(fragment):
        at = data.index(b'moof', at + 1)
    start = data.index(kind, at) - 4
    return start + 8, start + struct.unpack_from('>I', data, start)[0]


def set_decode_time(path: Path, fragment: int, ticks: int) -> None:
    """Write the 64-bit decode time (``tfdt``) of movie fragment ``fragment``: one corrupt
    byte of it puts the fragment days or millennia after the others."""
    data = bytearray(Path(path).read_bytes())
    start, _ = fragment_box(data, fragment, b'tfdt')
    assert data[start] == 1, 'a version 1 (64-bit) decode time'
    struct.pack_into('>Q', data, start + 4, ticks)
    Path(path).write_bytes(data)


def set_sample_count(path: Path, fragment: int, count: int) -> None:
    """Write the sample count of the track run (``trun``) of movie fragment ``fragment``."""
    data = bytearray(Path(path).read_bytes())
    start, _ = fragment_box(data, fragment, b'trun')
    struct.pack_into('>I', data, start + 4, count)
    Path(path).write_bytes(data)


def write_jpg(path: Path, level: int = 128) -> str:
    """A tiny jpg of grey ``level`` with a red 8x8 square in the top-left corner."""
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    image = np.full((HEIGHT, WIDTH, 3), level, np.uint8)
    image[:8, :8] = (255, 0, 0)
    Image.fromarray(image).save(path, quality=95)
    return str(path)


def upright_picture(level: int) -> np.ndarray:
    """(96, 64, 3) grey ``level`` with a red band on top and a green band down the left side
    below it: which way is up and which side is left."""
    picture = np.full((UPRIGHT_HEIGHT, UPRIGHT_WIDTH, 3), level, np.uint8)
    picture[:BAND] = (255, 0, 0)
    picture[BAND:, :BAND] = (0, 255, 0)
    return picture


def write_rotated_mp4(
    path: Path,
    rotation: int,
    num_frames: int = 6,
    fps: int = 8,
    picture: Callable[[int], np.ndarray] = upright_picture,
) -> str:
    """An mp4 that a player shows as ``picture(BASE + STEP * i)`` in frame i: stored turned
    counter-clockwise by ``rotation`` degrees, with a display matrix turning it back
    clockwise, as phones store video filmed upright."""
    frames = [
        np.ascontiguousarray(np.rot90(picture(BASE + STEP * i), rotation // 90))
        for i in range(num_frames)
    ]
    write_frames(path, frames, fps)
    set_display_matrix(path, ROTATION_MATRICES[rotation])
    return str(path)


def box_payload(data: Union[bytes, bytearray], kind: bytes, last: bool = True) -> Tuple[int, int]:
    """Bounds of the payload of the (last or first) box ``kind`` in ``data``, found by its
    type code: enough for the one-track files written here."""
    at = (data.rfind if last else data.find)(kind) - 4
    assert at >= 0, kind
    return at + 8, at + struct.unpack_from('>I', data, at)[0]


def set_display_matrix(path: Path, matrix: Tuple[float, float, float, float]) -> None:
    """Write ``(a, b, c, d)`` (and the translation that keeps the picture at the origin) into
    the display matrix of the video track header (``tkhd``) of ``path``."""
    data = bytearray(Path(path).read_bytes())
    start, _ = box_payload(data, b'tkhd')
    width, height = (v >> 16 for v in struct.unpack_from('>2I', data, start + 76))
    a, b, c, d = matrix
    corners = [(a * x + c * y, b * x + d * y) for x in (0, width) for y in (0, height)]
    tx, ty = -min(x for x, _ in corners), -min(y for _, y in corners)
    struct.pack_into(
        '>9i',
        data,
        start + 40,
        *(round(v * 65536) for v in (a, b, 0, c, d)),
        0,
        round(tx * 65536),
        round(ty * 65536),
        1 << 30,
    )
    Path(path).write_bytes(data)


def write_audio_only_mp4(path: Path) -> str:
    """An mp4 with one AAC audio stream (a second of silence) and no video."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode='w') as container:
        stream = container.add_stream('aac', rate=16000)
        stream.layout = 'mono'
        for i in range(16):
            frame = av.AudioFrame.from_ndarray(
                np.zeros((1, 1024), np.float32), format='fltp', layout='mono'
            )
            frame.sample_rate, frame.pts = 16000, 1024 * i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return str(path)


def write_init_segment(path: Path) -> str:
    """A fragmented mp4 cut after its header: a video track but not one frame (a recording
    stopped before its first fragment, a DASH initialisation segment)."""
    write_frames(path, [upright_picture(BASE)] * 4, movflags='frag_keyframe+empty_moov')
    data = path.read_bytes()
    _, moov_end = box_payload(data, b'moov', last=False)
    path.write_bytes(data[:moov_end])
    return str(path)


def zero_durations(path: Path) -> None:
    """Set the durations of the movie, the video track and each of its samples to 0: a clip
    without a frame rate."""
    data = bytearray(Path(path).read_bytes())
    for kind, offset in ((b'mvhd', 16), (b'tkhd', 20), (b'mdhd', 16)):
        start, _ = box_payload(data, kind)
        assert data[start] == 0, 'a version 0 box'
        struct.pack_into('>I', data, start + offset, 0)
    start, _ = box_payload(data, b'stts')
    for entry in range(struct.unpack_from('>I', data, start + 4)[0]):
        struct.pack_into('>I', data, start + 12 + 8 * entry, 0)
    Path(path).write_bytes(data)


def corrupt_stream(path: Path) -> None:
    """Overwrite the second half of the coded video data with 0xff bytes: the header and the
    first frames stay intact, the later frames cannot be decoded."""
    data = bytearray(Path(path).read_bytes())
    start, end = box_payload(data, b'mdat', last=False)
    middle = (start + end) // 2
    data[middle:end] = b'\xff' * (end - middle)
    Path(path).write_bytes(data)


def set_codec(path: Path, fourcc: bytes) -> None:
    """Relabel the video sample description as ``fourcc`` (e.g. ``b'av01'``, AV1)."""
    data = bytearray(Path(path).read_bytes())
    start, _ = box_payload(data, b'stsd')
    data[start + 12 : start + 16] = fourcc
    Path(path).write_bytes(data)
