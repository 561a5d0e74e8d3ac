"""Base class of vtp's datasets: deterministic per-sample randomness and stream keys."""
import random
from contextlib import contextmanager
from typing import Callable, Iterator, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.dataset import BaseDataset

from vtp.datasets.annotation import AnnotationError
from vtp.registry import TRANSFORMS


@contextmanager
def sample_rng(seed: int, key: int) -> Iterator[None]:
    """Seed Python's and NumPy's global generators for one sample, then restore them.

    Transforms (vtp's and mmaction2's) draw from the global generators; seeding them from the
    sample's stream key makes its augmentation independent of worker count and history, so a
    resumed run sees exactly the data of an uninterrupted one.
    """
    py_state, np_state = random.getstate(), np.random.get_state()
    entropy = np.random.SeedSequence([seed % 2**63, key]).generate_state(2)
    random.seed(int(entropy[0]))
    np.random.seed(int(entropy[1]))
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)


class BaseVideoTextDataset(BaseDataset):
    """An mmengine ``BaseDataset`` read by stream keys.

    ``dataset[key]`` returns sample ``key % len(dataset)`` processed with random choices
    seeded by ``(seed, key)``: vtp's ``InfiniteSampler`` yields ``pass * N + index``, so a
    sample is augmented differently in each pass, and identically on a resumed run.

    Args:
        data_prefix: ``dict(video=<folder>)``, joined to ``data_root``; video paths in the
            annotations are relative to it.
        pipeline: transforms, as configs (built from vtp's registry) or callables.
        seed: seed of the per-sample randomness; the experiment seed (``randomness.seed``,
            read from torch's initial seed when the dataset is built) when None.
        **kwargs: ``BaseDataset`` arguments (``ann_file``, ``data_root``, ``data_prefix``,
            ``test_mode``, ``indices``, ...).
    """

    def __init__(self, *args, data_prefix: dict = dict(video=''),
                 pipeline: Sequence[Union[dict, Callable]] = (), seed: Optional[int] = None,
                 **kwargs) -> None:
        self.seed = torch.initial_seed() if seed is None else seed
        pipeline = [TRANSFORMS.build(t) if isinstance(t, dict) else t for t in pipeline]
        super().__init__(*args, data_prefix=data_prefix, pipeline=pipeline, **kwargs)

    def load_data_list(self) -> list:
        """Parse the annotation file; an empty one is an error naming the file."""
        data_list = self.parse_annotations()
        if not data_list:
            raise AnnotationError(self.ann_file, 1, '<root>', 'no entries')
        return data_list

    def parse_annotations(self) -> list:
        """Read ``self.ann_file`` into a list of data-info dicts (one per sample)."""
        raise NotImplementedError

    def __getitem__(self, key: int) -> dict:
        if not self._fully_initialized:
            self.full_init()
        if key < 0:
            key += len(self)
        index = key % len(self)
        with sample_rng(self.seed, key):
            data = self.prepare_data(index)
        if data is None:
            raise RuntimeError(f'{type(self).__name__}: the pipeline dropped sample {index} '
                               f'({self.get_data_info(index)})')
        return data
