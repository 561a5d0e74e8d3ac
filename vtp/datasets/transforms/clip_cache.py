"""Decoded clips kept in memory, for corpora small enough to hold (``OpenVideo(cache_mb=...)``).

A training run visits every clip of a small corpus many times (the demo: 22 passes over 2,000
clips), and opening a small clip and decoding its frames costs more than everything else its
sample needs. :class:`ClipCache` keeps every frame of a clip after its first visit, so the
following visits skip the file: sampling still draws new frames each time, from memory.
"""

import hashlib
import os
from typing import Any, Dict, Hashable, Optional, Sequence, Tuple

import numpy as np

from vtp.datasets.sample_error import SampleError
from vtp.utils.kept_bytes import KeptBytes

Key = Tuple[str, Hashable]  # (file or member name, stamp of its content)


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
    """A reader opened on a cache miss: :class:`DecodeVideo` decodes the asked frames, then,
    if the whole clip fits in ``cache``, every frame, and hands them to ``cache`` under
    ``key``."""

    def __init__(self, reader: Any, cache: 'ClipCache', key: Key, fps: float) -> None:
        self.reader = reader
        self.cache = cache
        self.key = key
        self.fps = fps


class ClipCache(KeptBytes):
    """Decoded clips of one process, kept while they fit in ``capacity`` bytes.

    A clip that does not fit in the room left is not kept (the first time, the log says so):
    it is decoded on every visit, as without a cache. Nothing is evicted: with samples drawn in
    random order, replacing kept clips by new ones would make every visit of a corpus larger
    than the cache decode a whole clip, where keeping the first ones makes their visits free
    and costs the others nothing more than without a cache.

    A clip is known by its file name and a stamp: the file's size and modification time (a
    file rewritten in place is read again, and replaces its old frames), or, for bytes read
    from a tar shard, a digest of the bytes.

    A copy of the cache (pickled for a loader worker, or deep-copied) starts empty.

    Args:
        capacity: bytes of decoded frames to keep.
    """

    what = 'clip cache'

    def __init__(self, capacity: int) -> None:
        super().__init__(capacity)
        self.clips: Dict[str, Tuple[Hashable, CachedClip]] = {}  # name -> (stamp, clip)

    def emptied(self) -> Dict[str, Any]:
        """Decoded frames stay with the process that decoded them."""
        return dict(clips={})

    def refusal(self, nbytes: int) -> str:
        return (
            f'clip cache: a clip of {nbytes / 2**20:.1f} MiB does not fit ({len(self.clips)} '
            f'clips kept, {self.used / 2**20:.1f} of {self.capacity / 2**20:.1f} MiB); clips '
            'that do not fit are decoded on every visit'
        )

    @staticmethod
    def key(results: Dict[str, Any]) -> Key:
        """``(name, stamp)`` of the sample's clip."""
        path: str = results['filename']
        data: Optional[bytes] = results.get('media_bytes')
        if data is not None:
            return path, hashlib.blake2b(data, digest_size=16).digest()
        try:
            stat = os.stat(path)
        except OSError:  # gone since it was checked
            raise SampleError(path, 'missing file') from None
        return path, (stat.st_size, stat.st_mtime_ns)

    def get(self, key: Key) -> Optional[CachedClip]:
        name, stamp = key
        kept = self.clips.get(name)
        return kept[1] if kept is not None and kept[0] == stamp else None

    def has_room(self, key: Key, nbytes: int) -> bool:
        """Whether a clip of ``nbytes`` fits, in place of what ``key``'s name holds now."""
        kept = self.clips.get(key[0])
        return self.fits(nbytes, freed=kept[1].frames.nbytes if kept is not None else 0)

    def add(self, key: Key, clip: CachedClip) -> None:
        """Keep ``clip`` under ``key`` if it fits (:meth:`has_room`)."""
        if not self.has_room(key, clip.frames.nbytes):
            return
        name, stamp = key
        kept = self.clips.pop(name, None)
        if kept is not None:
            self.used -= kept[1].frames.nbytes
        self.clips[name] = (stamp, clip)
        self.used += clip.frames.nbytes
