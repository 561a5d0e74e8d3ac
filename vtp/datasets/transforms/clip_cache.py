"""Decoded clips kept in memory, for corpora small enough to hold (``OpenVideo(cache_mb=...)``).

A training run visits every clip of a small corpus many times (the demo: 22 passes over 2,000
clips), and opening a small clip and decoding its frames costs more than everything else its
sample needs. :class:`ClipCache` keeps every frame of a clip after its first visit, so the
following visits skip the file: sampling still draws new frames each time, from memory.
"""

import hashlib
import os
from typing import Any, Dict, Hashable, Optional, Sequence

import numpy as np
from mmengine.logging import MMLogger

from vtp.datasets.sample_error import SampleError


class CachedClip:
    """Every frame of a decoded clip, standing in for a reader (:class:`OpenVideo` puts it in
    ``video_reader`` on a cache hit).

    Args:
        frames: (N, H, W, 3) uint8 RGB, as the decoder gave them; kept read-only.
        fps: average frame rate of the video.
    """

    def __init__(self, frames: np.ndarray, fps: float) -> None:
        frames.setflags(write=False)
        self.frames = frames
        self.fps = fps

    def __len__(self) -> int:
        return len(self.frames)

    def get_batch(self, frame_inds: Sequence[int]) -> np.ndarray:
        """(T, H, W, 3) copy of frames ``frame_inds`` (any order, repeats allowed)."""
        return self.frames[np.asarray(frame_inds, dtype=np.int64)]


class FillingReader:
    """A reader opened on a cache miss while the cache has room: :class:`DecodeVideo` decodes
    the asked frames, then, if the whole clip fits in ``cache``, every frame, and hands them to
    ``cache`` under ``key``."""

    def __init__(self, reader: Any, cache: 'ClipCache', key: Hashable, fps: float) -> None:
        self.reader = reader
        self.cache = cache
        self.key = key
        self.fps = fps

    def __len__(self) -> int:
        return len(self.reader)


class ClipCache:
    """Decoded clips of one process, kept up to ``capacity`` bytes, first come first kept.

    Once a clip does not fit, the cache stops taking clips (and says so once in the log): with
    samples drawn in random order, evicting old clips for new ones would make every visit
    decode a whole clip, where keeping the first ones makes the kept share of visits free and
    costs the others nothing more than without a cache.

    A clip is known by its file name, size and modification time (a file rewritten in place is
    read again), or, for bytes read from a tar shard, by its member name and a digest of the
    bytes.

    A copy of the cache (pickled for a loader worker, or deep-copied) starts empty.

    Args:
        capacity: bytes of decoded frames to keep.
    """

    def __init__(self, capacity: int) -> None:
        if capacity <= 0:
            raise ValueError(f'the clip cache needs a positive capacity, got {capacity} bytes')
        self.capacity = capacity
        self.used = 0
        self.full = False
        self.clips: Dict[Hashable, CachedClip] = {}

    def __getstate__(self) -> Dict[str, Any]:
        """A copy (a loader worker started by pickling, a deep copy) starts empty: decoded
        frames stay with the process that decoded them."""
        return dict(self.__dict__, used=0, full=False, clips={})

    @staticmethod
    def key(results: Dict[str, Any]) -> Hashable:
        path = results['filename']
        data: Optional[bytes] = results.get('media_bytes')
        if data is not None:
            return path, hashlib.blake2b(data, digest_size=16).digest()
        try:
            stat = os.stat(path)
        except OSError:  # gone since it was checked
            raise SampleError(path, 'missing file') from None
        return path, stat.st_size, stat.st_mtime_ns

    def get(self, key: Hashable) -> Optional[CachedClip]:
        return self.clips.get(key)

    def has_room(self, nbytes: int) -> bool:
        """Whether a clip of ``nbytes`` fits; once one does not, the cache takes no more clips
        from now on (and says so in the log, once)."""
        if not self.full and self.used + nbytes > self.capacity:
            self.full = True
            MMLogger.get_current_instance().info(
                f'clip cache full ({len(self.clips)} clips, {self.used / 2**20:.1f} of '
                f'{self.capacity / 2**20:.1f} MiB): other clips are decoded on every visit'
            )
        return not self.full

    def add(self, key: Hashable, clip: CachedClip) -> None:
        """Keep ``clip`` if it fits (:meth:`has_room`)."""
        if self.has_room(clip.frames.nbytes):
            self.clips[key] = clip
            self.used += clip.frames.nbytes
