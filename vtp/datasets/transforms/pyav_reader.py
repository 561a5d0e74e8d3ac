"""Frame-accurate random access to a video with PyAV, decoding only what the asked frames need.

decord's ``get_batch`` decodes every frame from the keyframe before each asked frame up to it.
Frames that no other frame references (H.264/HEVC B-frames without ``nal_ref_idc``, about half
of the frames of an x264 encode) are needed only if asked for: :class:`PyAVReader` tells the
decoder to skip them otherwise (``skip_frame='NONREF'``, set per packet), which leaves every
decoded frame bit-exact, and converts only the asked frames to RGB, optionally scaled down in
the same pass (libswscale, area averaging).
"""

from typing import TYPE_CHECKING, BinaryIO, Dict, List, Optional, Sequence, Set, Tuple, Union

import numpy as np

if TYPE_CHECKING:
    import av


class UnusableVideo(ValueError):
    """The file opens but cannot be read frame by frame; ``reason`` says why, in the words
    of :class:`~vtp.datasets.sample_error.SampleError`."""

    def __init__(self, reason: str, detail: str = '') -> None:
        super().__init__(f'{reason} ({detail})' if detail else reason)
        self.reason = reason
        self.detail = detail


class PyAVReader:
    """A video opened with PyAV, with the presentation times of its frames indexed.

    Frame ``i`` is the ``i``-th frame in presentation order, as decord counts. Opening reads the
    packet headers of the whole stream once (no decoding), as decord does to build its index.

    Args:
        path: the video file, or a binary file object holding it (bytes in memory).
        rotation: degrees (0, 90, 180, 270) to turn the stored picture clockwise, from the
            display matrix of the file; frames come out upright.

    Raises:
        av.error.FFmpegError: the container or its packets cannot be read.
        UnusableVideo: no video stream (``'no video stream'``), a codec FFmpeg cannot decode
            (``'unsupported codec'``), or frames sharing a time
            (``'zero duration'``).
    """

    def __init__(self, path: Union[str, BinaryIO], rotation: int = 0) -> None:
        import av

        self.container = av.open(path, 'r')
        if not self.container.streams.video:
            self.container.close()
            raise UnusableVideo('no video stream')
        self.stream = self.container.streams.video[0]
        if self.stream.codec_context is None:  # FFmpeg has no decoder for it
            self.container.close()
            raise UnusableVideo('unsupported codec', self.stream.codec_tag)
        self.stream.thread_type = 'NONE'  # one core per dataloader worker
        self.rotation = rotation
        pts, keys = [], []
        self.num_packets = 0  # with a time stamp, empty ones too: an mp4's samples
        for packet in self.container.demux(self.stream):
            self.num_packets += packet.pts is not None
            if packet.pts is not None and packet.size:
                pts.append(packet.pts)
                if packet.is_keyframe:
                    keys.append(packet.pts)
        self.pts: List[int] = sorted(pts)  # (N,) presentation time of frame i
        self.keys = np.array(sorted(keys), np.int64)  # presentation times of keyframes
        rate = self.stream.average_rate
        self.fps = float(rate) if rate else 0.0
        if len(set(self.pts)) < len(self.pts):
            self.container.close()
            raise UnusableVideo('zero duration', 'frames share presentation times')
        self.position: Optional[int] = None  # time of the last decoded frame, None at the end

    def __len__(self) -> int:
        return len(self.pts)

    @property
    def codec(self) -> str:
        return self.stream.codec_context.name

    @property
    def shape(self) -> Tuple[int, int]:
        """Upright (H, W) of the frames."""
        height, width = self.stream.codec_context.height, self.stream.codec_context.width
        return (width, height) if self.rotation in (90, 270) else (height, width)

    def get_batch(
        self, frame_inds: Sequence[int], size: Optional[Tuple[int, int]] = None
    ) -> np.ndarray:
        """Decode frames ``frame_inds`` (T,) (any order, repeats allowed) into (T, H, W, 3)
        uint8 RGB, upright; scaled to upright ``size`` (H, W) by area averaging if given.

        Raises:
            av.error.FFmpegError: the stream cannot be decoded.
            UnusableVideo: no picture came out for an asked frame (``'undecodable frames'``).
        """
        wanted = {self.pts[i] for i in frame_inds}
        decoded: Dict[int, np.ndarray] = {}
        for start in sorted(wanted):
            if start not in decoded:
                self._decode_from(start, wanted, decoded, size)
        missing = wanted - decoded.keys()
        if missing:
            raise UnusableVideo(
                'undecodable frames', f'no picture for {len(missing)} of the asked frames'
            )
        return np.stack([decoded[self.pts[i]] for i in frame_inds])

    def close(self) -> None:
        self.container.close()

    def _decode_from(
        self,
        start: int,
        wanted: Set[int],
        decoded: Dict[int, np.ndarray],
        size: Optional[Tuple[int, int]],
    ) -> None:
        """Decode forward to frame time ``start``, seeking to its keyframe when that lies
        after the current position, and on while asked frames follow in the same group."""
        before = max(int(np.searchsorted(self.keys, start, 'right')) - 1, 0)
        key = int(self.keys[before]) if len(self.keys) else start  # the seek goes back to one
        if self.position is None or self.position >= start or key > self.position:
            self.container.seek(key, stream=self.stream, backward=True, any_frame=False)
            self.stream.codec_context.flush_buffers()
        context = self.stream.codec_context
        for packet in self.container.demux(self.stream):
            if packet.pts is not None:
                asked = packet.pts in wanted and packet.pts not in decoded
                context.skip_frame = 'DEFAULT' if asked else 'NONREF'
            for frame in packet.decode():  # a None packet at the end flushes the decoder
                self.position = frame.pts
                if frame.pts in wanted and frame.pts not in decoded:
                    decoded[frame.pts] = self._picture(frame, size)
            if packet.pts is None and packet.size == 0:
                self.position = None
            pending = sorted(wanted - decoded.keys())
            if start in decoded and (not pending or self._needs_seek(pending[0])):
                return

    def _needs_seek(self, time: int) -> bool:
        """Whether a keyframe lies between the current position and frame time ``time``."""
        if self.position is None or self.position >= time:
            return True
        return bool(((self.keys > self.position) & (self.keys <= time)).any())

    def _picture(self, frame: 'av.VideoFrame', size: Optional[Tuple[int, int]]) -> np.ndarray:
        """(H, W, 3) uint8 RGB of ``frame``, upright, scaled to upright ``size`` if given."""
        if size is not None:
            height, width = size[::-1] if self.rotation in (90, 270) else size
            frame = frame.reformat(width=width, height=height, format='rgb24', interpolation='AREA')
        picture = frame.to_ndarray(format='rgb24')
        if not self.rotation:
            return picture
        return np.ascontiguousarray(np.rot90(picture, -self.rotation // 90))
