"""Draw from several corpora in one run, in configured proportions, resumably."""

from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.dist import get_dist_info
from torch.utils.data import Dataset

from vtp.datasets.base_video_text_dataset import set_sample_meta
from vtp.datasets.samplers import check_positions_in_order
from vtp.datasets.samplers.dealt_keys import global_position, rank_position
from vtp.registry import DATASETS

PERIOD = 1000  # slots per block of the interleaving pattern
MASK64 = 2**64 - 1


def interleave(quotas: Sequence[int]) -> np.ndarray:
    """A block of ``sum(quotas)`` corpus ids, corpus ``c`` appearing ``quotas[c]`` times, spread
    as evenly as possible (smooth weighted round-robin): any run of consecutive slots holds
    each corpus within one of its share."""
    total, credit = sum(quotas), np.zeros(len(quotas))
    pattern = np.empty(total, dtype=np.int64)
    for slot in range(total):
        credit += quotas
        pattern[slot] = chosen = int(np.argmax(credit))
        credit[chosen] -= total
    return pattern


def quotas_for(ratios: Sequence[float], period: int) -> List[int]:
    """Integer quotas summing to ``period``, proportional to ``ratios``, at least 1 each
    (largest remainders)."""
    shares = np.asarray(ratios, dtype=np.float64) / sum(ratios) * period
    quotas = np.maximum(np.floor(shares).astype(np.int64), 1)
    for c in np.argsort(-(shares - np.floor(shares)), kind='stable'):
        if quotas.sum() >= period:
            break
        quotas[c] += 1
    return [int(q) for q in quotas]


def _mix(value: int, key: int) -> int:
    """A 64-bit hash of ``(value, key)`` (splitmix64 finaliser)."""
    z = (value * 0x9E3779B97F4A7C15 + key) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def permute(index: int, size: int, keys: Tuple[int, ...]) -> int:
    """Position of ``index`` in a pseudo-random permutation of ``range(size)`` chosen by
    ``keys``, in O(1) memory: a Feistel network on the smallest even-bit domain covering
    ``size``, walked until it lands inside ``range(size)``."""
    half = max(1, ((size - 1).bit_length() + 1) // 2)
    mask = (1 << half) - 1
    x = index
    while True:
        left, right = x >> half, x & mask
        for key in keys:
            left, right = right, left ^ (_mix(right, key) & mask)
        x = (left << half) | right
        if x < size:
            return x


@DATASETS.register_module()
class MixedDataset(Dataset[Dict[str, Any]]):
    """Several datasets behind one stream of keys, each drawn at its configured ratio.

    Use it with ``InfiniteSampler(shuffle=False)``: the dataset shuffles, and the sampler's
    keys, dealt round-robin to ranks (:func:`global_position`), are positions in each rank's
    stream; another sampler is an error (:meth:`check_sampler`). Each rank's stream cycles
    through blocks of ``PERIOD`` slots in which corpus ``c`` holds exactly its quota, spread
    evenly, so every batch of every rank holds each corpus within one sample of its share.
    The ``j``-th visit of corpus ``c`` (counted over all ranks) reads pass ``j // N_c`` of that
    corpus in a pseudo-random order drawn for the pass: a corpus is walked without repeats
    within a pass, and a corpus smaller than its share repeats in a new order with new
    augmentation. A corpus that orders its samples itself (``orders_itself``: a tar-shard
    corpus read front to back, :class:`VideoTextShardDataset`) gets the visit count as its
    stream key instead. The mapping has no state, so a resumed run (same number
    of processes) reads exactly what the uninterrupted one would have. Each corpus keeps its
    own pipeline (images enter as static videos, so batches mix images and videos). Data
    samples carry the corpus name in their ``corpus`` metainfo.

    Args:
        datasets: dataset configs (or datasets) read by stream keys (vtp datasets).
        ratios: sampling weight per dataset (normalised); proportional to the datasets'
            sizes when None.
        names: a name per dataset for logs (``corpus`` metainfo); the dataset class names
            when None.
        seed: seed of the per-pass orders.
    """

    def __init__(
        self,
        datasets: Sequence[Union[Dict[str, Any], Dataset[Dict[str, Any]]]],
        ratios: Optional[Sequence[float]] = None,
        names: Optional[Sequence[str]] = None,
        seed: int = 0,
    ) -> None:
        self.datasets = [DATASETS.build(d) if isinstance(d, dict) else d for d in datasets]
        if not self.datasets:
            raise ValueError('MixedDataset needs at least one dataset')
        # torch's Dataset declares no __len__; the datasets mixed have one.
        sizes = [len(d) for d in self.datasets]  # type: ignore[arg-type]
        ratios = list(sizes if ratios is None else ratios)
        if len(ratios) != len(self.datasets) or any(r <= 0 for r in ratios):
            raise ValueError(
                f'MixedDataset: need one positive ratio per dataset, got {ratios} '
                f'for {len(self.datasets)} datasets'
            )
        names = list(names or [type(d).__name__ for d in self.datasets])
        if len(names) != len(self.datasets) or len(set(names)) != len(names):
            raise ValueError(f'MixedDataset: need one distinct name per dataset, got {names}')
        self.names, self.sizes, self.seed = names, sizes, seed
        self.orders_itself = [bool(getattr(d, 'orders_itself', False)) for d in self.datasets]
        self.corpus_ratios = {n: r / sum(ratios) for n, r in zip(names, ratios)}
        self.world_size = get_dist_info()[1]
        self.quotas = quotas_for(ratios, PERIOD)
        self.pattern = interleave(self.quotas)  # (PERIOD,) corpus of each slot of a block
        self.rank_in_block = np.zeros(PERIOD, dtype=np.int64)  # slot's rank among its corpus
        seen = np.zeros(len(self.datasets), dtype=np.int64)
        for slot, corpus in enumerate(self.pattern):
            self.rank_in_block[slot] = seen[corpus]
            seen[corpus] += 1

    def __len__(self) -> int:
        return sum(self.sizes)

    def locate(self, key: int) -> Tuple[int, int]:
        """Stream key -> (corpus index, key of that corpus)."""
        position, rank = rank_position(key, self.world_size)  # position in rank's own stream
        block, slot = divmod(position, PERIOD)
        corpus = int(self.pattern[slot])
        visit = global_position(
            block * self.quotas[corpus] + int(self.rank_in_block[slot]), rank, self.world_size
        )  # the rank's visit of the corpus, counted over all ranks
        if self.orders_itself[corpus]:
            return corpus, visit
        size = self.sizes[corpus]
        corpus_pass, offset = divmod(visit, size)
        pass_key = _mix(_mix(self.seed, corpus), corpus_pass)
        keys = tuple(_mix(pass_key, r) for r in range(4))  # 4 Feistel rounds
        return corpus, corpus_pass * size + permute(offset, size, keys)

    def stream_layout(self) -> Dict[str, int]:
        """What the corpus and sample of a stream key depend on besides the seed: the number
        of ranks (the visits are counted per rank). ``ResumableIterBasedTrainLoop`` stores it
        in the checkpoint and refuses to resume with another."""
        return dict(ranks=self.world_size)

    def check_sampler(self, sampler: object) -> None:
        """Raise unless ``sampler`` deals stream positions in order (vtp's
        ``InfiniteSampler(shuffle=False)``): shuffled keys, or a sampler of finite passes,
        would silently break the per-batch ratios and the corpus passes."""
        check_positions_in_order(sampler, 'MixedDataset')

    def __getitem__(self, key: int) -> Dict[str, Any]:
        corpus, corpus_key = self.locate(key)
        data = self.datasets[corpus][corpus_key]
        set_sample_meta(data, corpus=self.names[corpus])
        return data
