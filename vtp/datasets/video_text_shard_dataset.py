"""Video-text (or image-text) samples streamed from WebDataset-layout tar shards."""

import logging
import math
import os
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.dist import get_dist_info
from mmengine.logging import print_log
from tqdm import tqdm

from vtp.datasets.base_video_text_dataset import BaseVideoTextDataset
from vtp.datasets.sample_error import SampleError
from vtp.datasets.samplers import check_positions_in_order
from vtp.datasets.samplers.dealt_keys import rank_position
from vtp.datasets.shard_files import join, list_shards, read_manifest
from vtp.datasets.tar_samples import TarSamples, count_samples
from vtp.registry import DATASETS
from vtp.utils.checks import require_int

MEDIA_EXTENSIONS = ('mp4', 'webm', 'mkv', 'avi', 'mov', 'jpg', 'jpeg', 'png', 'webp')


def interleaved(offset: int, size: int, parts: int) -> int:
    """Place in a range of ``size`` samples cut into ``parts`` contiguous parts (the first
    ``size % parts`` one longer) of the ``offset``-th sample read when the parts are read
    round-robin: part 0's first, part 1's first, ..., part 0's second, ... (a bijection of
    ``range(size)``; the identity for one part)."""
    parts = min(parts, size)
    base, extra = divmod(size, parts)
    if offset < parts * base:
        part, column = offset % parts, offset // parts
    else:  # the last column: only the longer parts have it
        part, column = offset - parts * base, base
    return part * base + min(part, extra) + column


@dataclass
class _OpenShard:
    """The shard a process is reading, and which process opened it (a forked worker must not
    share its parent's file position)."""

    pid: int
    shard: int
    samples: TarSamples


@DATASETS.register_module()
class VideoTextShardDataset(BaseVideoTextDataset):
    """Samples of tar shards in the layout video2dataset and img2dataset write (WebDataset):
    per sample ``KEY.mp4`` (or ``.jpg``, ...), ``KEY.txt`` (the caption), ``KEY.json``.

    The shards are listed by a brace pattern (``shard-{00000..00099}.tar``), a list file
    (``shards.txt``) or a manifest, on local disk or behind any fsspec URL. The sample count
    of each shard comes from the manifest ``tools/data/make_shards.py`` writes; shards it does
    not list are counted at start-up by walking their tar headers. A process holds these
    counts, never an index of the samples.

    **Order.** Use it with ``InfiniteSampler(shuffle=False)``, whose keys are positions in the
    global stream, dealt round-robin to the ``W`` ranks; the DataLoader hands batch ``j`` of a
    rank to worker ``j % K``. The dataset maps each key to a *lane* (rank, worker) and a
    position in that lane: there are ``L = W * K`` lanes. Pass ``p`` of the data is the shards
    in an order drawn from ``(seed, p)``, concatenated (``N`` samples) and cut into ``L``
    contiguous ranges of ``Q = ceil(N / L)`` samples (the last range wraps around to the first
    samples, so up to ``L - 1`` samples are read twice per pass); lane ``l`` reads range ``l``
    front to back as its positions ``p * Q`` to ``(p + 1) * Q - 1``. So each worker reads its own
    shards sequentially (a range may start or end inside a shard), every sample is read once
    per pass, every lane reads the same number of samples per pass (uneven shard counts or
    sizes never leave a rank or worker short; the stream is endless, the run length is
    ``max_iters``), and the sample of every key is a pure function of the seed, the key, and
    the layout ``(W, K, batch size)``. ``ResumableIterBasedTrainLoop`` sets the layout from
    the train dataloader (:meth:`set_loader_layout`); without it (a ``MixedDataset``, a
    script) the layout is one lane per rank, which reads the same samples for a key whatever
    the workers, each worker walking over the others' samples. With ``interleave=M`` a lane
    reads its range as ``M`` contiguous parts in turn (:func:`interleaved`), ``M`` shards
    open at once, so consecutive samples (a batch) come from ``M`` places of the pass.

    **Resume.** A resumed run seeks the sampler to ``iter * batch_size`` (the iteration is in
    the checkpoint); each worker then opens the shard its next key falls in, walks over the
    headers of the samples before it and continues: nothing consumed is read again, shards
    before it are skipped by their counts. Resuming exactly needs the same layout
    (:meth:`stream_layout`); the train loop stores it in the checkpoint and refuses another.

    **Failures.** A sample whose media or shard cannot be read raises :class:`SampleError`
    and is replaced, as in every vtp dataset (``'missing shard'``, ``'unreadable shard'``,
    ``'truncated shard'``: a shard shorter than its count, ``'no media in sample'``,
    ``'duplicate member'``, ``'caption is not UTF-8'``, and the decoder's reasons), so a
    shard broken or vanished after its count is counted by ``DataHealthHook``, never fatal.
    Counting at start-up (no manifest entry) refuses a shard that is missing, not a tar, or
    holds data after its end-of-archive marker, listing every such shard; a truncated one
    counts its complete samples, with a warning. Media is decoded from the bytes in memory by
    the same transforms as files (``filename`` is ``SHARD/KEY.EXT``, ``media_bytes`` the
    bytes).

    Args:
        shards: brace pattern, list file (``.txt``), or a sequence of them, relative to
            ``data_root``; the manifest's shards when None.
        manifest: JSON of sample counts per shard (``tools/data/make_shards.py``), relative
            to ``data_root``; None to count every shard at start-up.
        media_extensions: member extensions taken as the sample's media, first found wins.
        text_extension: member extension of the caption.
        shuffle: draw a new shard order for every pass (otherwise the listed order).
        interleave: ``M`` shards each lane reads at once: its range is cut into ``M``
            contiguous parts read round-robin, one sample of each in turn (an open reader
            per part), so that a batch draws from ``M`` places of the corpus rather than
            from consecutive samples of one shard. 1 reads the range front to back.
        **kwargs: :class:`BaseVideoTextDataset` arguments (``data_root``, ``pipeline``,
            ``seed``, ``max_retries``).
    """

    orders_itself = True

    def __init__(
        self,
        shards: Union[str, Sequence[str], None] = None,
        manifest: Optional[str] = None,
        media_extensions: Sequence[str] = MEDIA_EXTENSIONS,
        text_extension: str = 'txt',
        shuffle: bool = True,
        interleave: int = 1,
        **kwargs: Any,
    ) -> None:
        require_int('VideoTextShardDataset: interleave', interleave, 1)
        if shards is None and manifest is None:
            raise ValueError('VideoTextShardDataset needs shards, a manifest, or both')
        if kwargs.get('indices') is not None:
            raise ValueError('VideoTextShardDataset: indices (a subset) is not supported')
        self.shards, self.manifest = shards, manifest
        self.media_extensions = tuple(e.lower().lstrip('.') for e in media_extensions)
        self.text_extension = text_extension
        self.shuffle = shuffle
        self.interleave = interleave
        self.world_size = get_dist_info()[1]
        self.batch_size, self.num_workers = 1, 1
        self._pass: Tuple[int, np.ndarray, np.ndarray] = (-1, np.empty(0), np.empty(0))
        self._open: List[_OpenShard] = []  # least recently used first
        super().__init__(**kwargs)

    def _join_prefix(self) -> None:
        """Nothing to join: shards and manifest are joined to ``data_root`` (a folder or a
        URL, which mmengine's path join refuses) when listed."""

    def full_init(self) -> None:
        """List the shards and get their sample counts (manifest, else walking the headers)."""
        if self._fully_initialized:
            return
        counts = read_manifest(join(self.data_root, self.manifest)) if self.manifest else {}
        paths = list_shards(self.shards, self.data_root) if self.shards else list(counts)
        unknown = [p for p in paths if p not in counts]
        if unknown:
            print_log(
                f'VideoTextShardDataset: counting the samples of {len(unknown)} shards without '
                'a manifest entry (tools/data/make_shards.py --count writes one)',
                logger='current',
            )
            broken = []
            for path in tqdm(unknown, 'shards', disable=len(unknown) < 100):
                try:
                    counts[path], truncated = count_samples(path)
                except SampleError as e:
                    broken.append(str(e))
                    continue
                if truncated:
                    print_log(
                        f'{path}: truncated shard ({counts[path]} complete samples counted, '
                        'the rest left out)',
                        logger='current',
                        level=logging.WARNING,
                    )
            if broken:
                raise ValueError(
                    f'VideoTextShardDataset: {len(broken)} of {len(paths)} shards cannot be '
                    'counted (replace them or leave them out of `shards`):\n  '
                    + '\n  '.join(broken)
                )
        self.paths: List[str] = paths
        self.sizes = np.array([counts[p] for p in paths], dtype=np.int64)  # (M,)
        self.ends = np.cumsum(self.sizes)  # (M,) end of each shard in the listed order
        if not paths or self.ends[-1] == 0:
            raise ValueError(f'VideoTextShardDataset: no samples in the {len(paths)} shards')
        self._fully_initialized = True

    def __len__(self) -> int:
        if not self._fully_initialized:
            self.full_init()
        return int(self.ends[-1])

    def __getstate__(self) -> Dict[str, Any]:
        state = self.__dict__.copy()
        state['_open'] = []  # open files stay with the process that opened them
        return state

    def set_loader_layout(self, batch_size: int, num_workers: int) -> None:
        """Give each (rank, worker) of a dataloader with this batch size and worker count a
        lane of its own (see the class notes)."""
        self.batch_size, self.num_workers = batch_size, max(num_workers, 1)

    def stream_layout(self) -> Dict[str, int]:
        """What the sample of a stream key depends on besides the seed: ranks, workers per
        rank, batch size and interleaved shards. A resumed run continues the interrupted
        one's samples only with the same layout (``ResumableIterBasedTrainLoop`` checks
        it)."""
        return dict(
            ranks=self.world_size,
            workers=self.num_workers,
            batch_size=self.batch_size,
            interleave=self.interleave,
        )

    def check_sampler(self, sampler: object) -> None:
        """Raise unless ``sampler`` deals stream positions in order."""
        check_positions_in_order(sampler, 'VideoTextShardDataset')

    def _pass_order(self, pass_index: int) -> Tuple[np.ndarray, np.ndarray]:
        """(shard order (M,), end of each shard in that order (M,)) of pass ``pass_index``."""
        if self._pass[0] != pass_index:
            order = np.arange(len(self.sizes))
            if self.shuffle:
                order = np.random.default_rng([self.seed % 2**63, pass_index]).permutation(order)
            self._pass = (pass_index, order, np.cumsum(self.sizes[order]))
        return self._pass[1], self._pass[2]

    def lane_of(self, key: int) -> Tuple[int, int]:
        """Stream key -> (lane, position in the lane)."""
        position, rank = rank_position(key, self.world_size)  # in the rank's stream
        chunk, within = divmod(position, self.batch_size)  # batch of the rank, place in it
        worker = chunk % self.num_workers
        return (
            rank * self.num_workers + worker,
            chunk // self.num_workers * self.batch_size + within,
        )

    def stream_index(self, key: int) -> int:
        """Index (in the listed order of shards) of the sample stream key ``key`` reads."""
        lanes = self.world_size * self.num_workers
        size = len(self)
        per_lane = math.ceil(size / lanes)  # Q
        lane, position = self.lane_of(key)
        pass_index, offset = divmod(position, per_lane)
        offset = interleaved(offset, per_lane, self.interleave)
        place = (lane * per_lane + offset) % size  # in the pass's concatenated shards
        order, ends = self._pass_order(pass_index)
        i = int(np.searchsorted(ends, place, side='right'))
        shard = int(order[i])
        return int(self.ends[shard]) - int(ends[i]) + int(place)

    def locate(self, index: int) -> Tuple[int, int]:
        """Sample index -> (shard, sample of that shard)."""
        shard = int(np.searchsorted(self.ends, index, side='right'))
        return shard, index - int(self.ends[shard] - self.sizes[shard])

    def _samples_at(self, shard: int, offset: int) -> TarSamples:
        """A reader of the shard positioned at sample ``offset``: the open one furthest along
        that has not passed it, else a new one. Up to ``interleave + 1`` readers stay open (one
        per interleaved part, and one for replacement samples), the least recently used
        closed first."""
        pid = os.getpid()
        if any(r.pid != pid for r in self._open):  # a forked worker: the parent's readers
            self._open = []
        fits = [r for r in self._open if r.shard == shard and r.samples.position <= offset]
        if fits:
            reader = max(fits, key=lambda r: r.samples.position)
            self._open.remove(reader)
        else:
            if len(self._open) > self.interleave:
                self._open.pop(0).samples.close()
            reader = _OpenShard(pid, shard, TarSamples(self.paths[shard]))
        self._open.append(reader)
        reader.samples.skip(offset - reader.samples.position)
        return reader.samples

    def get_data_info(self, idx: int) -> Dict[str, Any]:
        """Read sample ``idx`` from its shard: ``filename`` (``SHARD/KEY.EXT``), ``media_bytes``,
        ``text``, ``video_id`` (the key) and ``sample_idx``."""
        shard, offset = self.locate(idx)
        path = self.paths[shard]
        samples = self._samples_at(shard, offset)
        found = samples.read() if samples.position == offset else None
        if found is None:
            after = samples.trailing_data
            raise SampleError(
                path,
                'truncated shard',
                f'sample {offset} of the {self.sizes[shard]} counted; it ends after '
                f'{samples.position}'
                + ('' if after is None else f' (data after its end-of-archive marker at {after})'),
            )
        key, files = found
        media = next((e for e in self.media_extensions if e in files), None)
        if media is None:
            raise SampleError(
                f'{path}/{key}',
                'no media in sample',
                f'members {sorted(files)}, expected one of {self.media_extensions}',
            )
        try:
            text = files.get(self.text_extension, b'').decode('utf-8').strip()
        except UnicodeDecodeError as e:
            raise SampleError(
                f'{path}/{key}', 'caption is not UTF-8', f'{e.reason} at byte {e.start}'
            ) from None
        return dict(
            filename=f'{path}/{key}.{media}',
            media_bytes=files[media],
            text=text,
            video_id=key,
            sample_idx=idx,
        )
