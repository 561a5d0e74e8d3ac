"""An endless, resumable sampler whose keys carry the pass number for per-sample randomness."""

from itertools import count
from typing import Iterator, List, Optional, Sized

import numpy as np
import torch
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from vtp.datasets.samplers.dealt_keys import global_position
from vtp.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class InfiniteSampler(Sampler[int]):
    """Yield dataset keys forever: pass ``p`` over the data yields ``p * N + index``.

    The global stream is one permutation of ``range(N)`` per pass (seeded by ``seed`` and
    ``p``); rank ``r`` of ``W`` takes positions ``r, r + W, ...`` (:func:`global_position`).
    vtp datasets map a key to ``key % N`` and seed the sample's augmentation with the key, so a
    sample's content depends only on its position in the stream. Resuming at iteration ``i`` calls
    :meth:`set_start` with ``i * batch_size`` and continues exactly where the run stopped,
    without loading the skipped samples.

    A dataset that shuffles itself (:class:`MixedDataset`) checks the sampler with its
    ``check_sampler``: it needs ``shuffle=False``.

    Args:
        dataset: the dataset (its length, and its ``check_sampler`` when it has one).
        shuffle: permute each pass; otherwise indices come in order.
        seed: permutation seed, shared by all ranks; a synced random one when None.
    """

    def __init__(self, dataset: Sized, shuffle: bool = True, seed: Optional[int] = None) -> None:
        self.rank, self.world_size = get_dist_info()
        self.size = len(dataset)
        if self.size == 0:
            raise ValueError('InfiniteSampler got an empty dataset')
        self.shuffle = shuffle
        self.seed = sync_random_seed() if seed is None else seed
        self.start = 0
        if hasattr(dataset, 'check_sampler'):
            dataset.check_sampler(self)

    def set_start(self, samples_per_rank: int) -> None:
        """Begin the next iteration after this rank's first ``samples_per_rank`` samples."""
        self.start = samples_per_rank

    def _permutation(self, epoch: int) -> torch.Tensor:
        if not self.shuffle:
            return torch.arange(self.size)
        seed = int(np.random.SeedSequence([self.seed % 2**63, epoch]).generate_state(1)[0])
        generator = torch.Generator().manual_seed(seed)
        return torch.randperm(self.size, generator=generator)

    def __iter__(self) -> Iterator[int]:
        epoch = -1
        order: List[int] = []  # the permutation of pass `epoch`
        for local in count(self.start):
            position = global_position(local, self.rank, self.world_size)
            pass_index, offset = divmod(position, self.size)
            if pass_index != epoch:
                epoch, order = pass_index, self._permutation(pass_index).tolist()
            yield epoch * self.size + order[offset]

    def __len__(self) -> int:
        return self.size


def check_positions_in_order(sampler: object, owner: str) -> None:
    """Raise unless ``sampler`` deals stream positions in order
    (``InfiniteSampler(shuffle=False)``), as ``owner``, a dataset that orders its samples
    itself, needs: shuffled keys, or a sampler of finite passes, would silently break its order
    and its passes."""
    if isinstance(sampler, InfiniteSampler) and not sampler.shuffle:
        return
    what = type(sampler).__name__ + (
        '(shuffle=True)' if isinstance(sampler, InfiniteSampler) else ''
    )
    raise ValueError(
        f'{owner} shuffles its samples itself and needs the stream positions in order, '
        f"got sampler {what}: set train_dataloader.sampler=dict(type='InfiniteSampler', "
        'shuffle=False)'
    )
