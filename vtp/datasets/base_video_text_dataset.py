"""Base class of vtp's datasets: compact shared records, per-sample randomness, safe samples."""

import os.path as osp
import pickle
import random
from array import array
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, List, Optional, Sequence, Set, Tuple, Union

import numpy as np
import torch
from mmengine.dataset import BaseDataset

from vtp.datasets.annotation import AnnotationError
from vtp.datasets.sample_error import SampleError
from vtp.registry import TRANSFORMS
from vtp.utils.checks import require_int


@contextmanager
def sample_rng(*keys: int) -> Iterator[None]:
    """Seed Python's and NumPy's global generators from ``keys``, then restore them.

    Transforms (vtp's and mmaction2's) draw from the global generators; seeding them from the
    sample's stream key makes its augmentation independent of worker count and history, so a
    resumed run sees exactly the data of an uninterrupted one.
    """
    py_state, np_state = random.getstate(), np.random.get_state()
    entropy = np.random.SeedSequence([k % 2**63 for k in keys]).generate_state(2)
    random.seed(int(entropy[0]))
    np.random.seed(int(entropy[1]))
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)


def serialize_records(records: Iterable[dict[str, Any]]) -> Tuple[np.ndarray, np.ndarray]:
    """Pickle records one at a time into one byte array and the end offset of each.

    The records are never held as Python objects all at once, so parsing a 10M-row
    annotation file peaks near the size of its serialized form; dataloader workers share the
    two arrays (copy-on-write pages that nobody writes), instead of each touching, and so
    copying, millions of Python objects.

    Returns:
        ``(data_bytes (S,) uint8, data_address (N,) int64)``, mmengine's serialized layout.
    """
    buffer, ends = bytearray(), array('q')
    for record in records:
        buffer += pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)
        ends.append(len(buffer))
    return np.frombuffer(buffer, dtype=np.uint8), np.frombuffer(ends, dtype=np.int64)


class BaseVideoTextDataset(BaseDataset):
    """An mmengine ``BaseDataset`` read by stream keys, whose broken samples are replaced.

    ``dataset[key]`` returns sample ``key % len(dataset)`` processed with random choices
    seeded by ``(seed, key)``: vtp's ``InfiniteSampler`` yields ``pass * N + index``, so a
    sample is augmented differently in each pass, and identically on a resumed run.

    When a transform raises :class:`SampleError` (missing, empty, corrupt or too-short media,
    an empty caption), the sample is replaced by another drawn from ``(seed, key, attempt)``,
    so a resumed run replaces it identically. The returned data sample lists the failures in
    its ``failures`` metainfo (``[{'path', 'reason'}]``); ``DataHealthHook`` logs each once and
    summarises them. In test mode nothing is substituted: the sample comes back as a
    placeholder marked ``missing`` (see :meth:`_placeholder`), which metrics count as a miss;
    its shapes come from the last readable sample (every sample is tried for one before the
    test set is called broken, whatever ``max_retries``).

    Annotations are parsed as a stream straight into mmengine's serialized layout (one byte
    array), which dataloader workers share without copying.

    Subclasses that read more files than ``ann_file`` (a split list, an answer vocabulary)
    name the attributes holding them in ``extra_files``; relative paths are joined to
    ``data_root`` as mmengine joins ``ann_file``.

    Args:
        data_prefix: ``dict(video=<folder>)`` (or ``img``), joined to ``data_root``; media
            paths in the annotations are relative to it.
        pipeline: transforms, as configs (built from vtp's registry) or callables.
        seed: seed of the per-sample randomness; the experiment seed (``randomness.seed``,
            read from torch's initial seed when the dataset is built) when None.
        max_retries: replacements tried for one key before giving up with an error (in
            training; in test mode, every sample may be tried for a placeholder's shapes).
        **kwargs: ``BaseDataset`` arguments (``ann_file``, ``data_root``, ``test_mode``,
            ``indices``, ...).
    """

    extra_files: Tuple[str, ...] = ()
    _fully_initialized: bool  # set by BaseDataset.__init__

    _indices: Any  # set by mmengine's BaseDataset from ``indices``: None, an int or ints

    def __init__(
        self,
        *args: Any,
        data_prefix: dict[str, str] = dict(video=''),
        pipeline: Sequence[Union[dict[str, Any], Callable[..., Any]]] = (),
        seed: Optional[int] = None,
        max_retries: int = 10,
        **kwargs: Any,
    ) -> None:
        if not kwargs.pop('serialize_data', True):
            raise ValueError(
                f'{type(self).__name__}: records are always serialized '
                '(serialize_data=False is not supported)'
            )
        self.seed = torch.initial_seed() if seed is None else seed
        self.max_retries = max_retries
        self._donor: Optional[dict[str, Any]] = None  # test mode: the last readable sample
        pipeline = [TRANSFORMS.build(t) if isinstance(t, dict) else t for t in pipeline]
        super().__init__(*args, data_prefix=data_prefix, pipeline=pipeline, **kwargs)

    @classmethod
    def reading(cls, cfg: dict[str, Any], path: str) -> dict[str, Any]:
        """``cfg``, a config of this class, changed to take its samples from ``path``: a file
        in the format of the one that lists the samples of ``cfg`` (``ann_file`` here; a
        subclass whose test set is another file says which). The inferencers and
        ``tools/extract_features.py --ann`` read a user's annotation file this way."""
        return dict(cfg, ann_file=path)

    def _join_prefix(self) -> None:
        """mmengine's join of ``data_root`` with ``ann_file`` and ``data_prefix``, and with
        the files named in ``extra_files``."""
        super()._join_prefix()
        for name in self.extra_files:
            path = getattr(self, name)
            if path and self.data_root:
                setattr(self, name, osp.join(self.data_root, path))

    def load_data_list(self) -> Iterable[dict[str, Any]]:
        """The data-info dicts of the annotation file, one per sample (a list or a generator)."""
        return self.parse_annotations()

    def parse_annotations(self) -> Iterable[dict[str, Any]]:
        """Read ``self.ann_file`` into data-info dicts; a generator keeps memory low."""
        raise NotImplementedError

    def full_init(self) -> None:
        """Parse the annotations into the serialized store; an empty result is an error."""
        if self._fully_initialized:
            return
        self.data_list: List[dict[str, Any]] = []
        self.data_bytes, self.data_address = serialize_records(self.load_data_list())
        if len(self.data_address) == 0:
            raise AnnotationError(self.ann_file, 1, '<root>', 'no entries')
        if self._indices is not None:
            data_bytes, ends = self.data_bytes, self.data_address
            # numpy's stubs declare an array a buffer only from Python 3.12 on.
            self.data_bytes, self.data_address = serialize_records(
                pickle.loads(data_bytes[ends[i - 1] if i else 0 : ends[i]])  # type: ignore[arg-type]
                for i in self._subset_indices()
            )
        self._fully_initialized = True

    def _subset_indices(self) -> List[int]:
        num = len(self.data_address)
        name = f'{type(self).__name__}({self.ann_file or ""}): indices'
        given: Any = self._indices
        if isinstance(given, (np.ndarray, torch.Tensor)):
            given = given.tolist()  # a 0-d one becomes an int
        if not isinstance(given, Iterable) or isinstance(given, str):
            return list(range(min(require_int(name, given, 1), num)))
        indices = list(given)
        self._indices = indices  # a generator is read once; the list pickles
        if not indices:
            raise ValueError(f'{name} is empty: the subset would hold no sample')
        return [require_int(f'{name} entries', i, -num, num - 1) % num for i in indices]

    def stream_index(self, key: int) -> int:
        """Index of the sample stream key ``key`` reads: ``key % len(self)`` (the sampler
        shuffles); a dataset that orders its samples itself maps keys its own way."""
        return key % len(self)

    def _replacement(self, key: int, attempt: int, tried: Set[int]) -> Optional[int]:
        """Index of the ``attempt``-th replacement for stream key ``key``, never one already
        tried for it; None when every sample has been tried."""
        if len(tried) >= len(self):
            return None
        rng = np.random.default_rng([self.seed % 2**63, key, attempt])
        while True:
            index = int(rng.integers(len(self)))
            if index not in tried:
                return index

    def _placeholder(self, index: int, donor: dict[str, Any]) -> dict[str, Any]:
        """Stand-in for unreadable test sample ``index``: its own metainfo (ids, captions,
        answers, from the annotation) with ``missing=True``, and inputs shaped like a readable
        sample's (``donor``): a black clip and the donor's token rows repeated to the failed
        sample's caption count. Metrics count a missing sample's queries as misses and never
        read its outputs, so nothing of the donor reaches a result."""
        info = self.get_data_info(index)
        if 'data_samples' not in donor:  # a bare pipeline, nothing packed: the record itself
            return dict(info, missing=True)
        sample = donor['data_samples']
        meta = {k: info[k] for k in sample.metainfo if k in info}
        meta.update(sample_idx=index, missing=True)
        rows = torch.arange(_num_texts(info.get('text'))) % len(donor['inputs']['input_ids'])
        inputs = {k: v[rows] if v.dim() == 2 else v for k, v in donor['inputs'].items()}
        inputs['video'] = torch.zeros_like(inputs['video'])
        return dict(inputs=inputs, data_samples=type(sample)(metainfo=meta))

    def __getitem__(self, key: int) -> dict[str, Any]:
        if not self._fully_initialized:
            self.full_init()
        if key < 0:
            key += len(self)
        failures: List[dict[str, str]] = []
        tried: Set[int] = set()
        index = self.stream_index(key)
        attempts = len(self) if self.test_mode else self.max_retries + 1
        for attempt in range(attempts):
            keys = (self.seed, key, attempt) if attempt else (self.seed, key)
            try:
                with sample_rng(*keys):
                    data: Optional[dict[str, Any]] = self.prepare_data(index)
            except SampleError as e:
                failures.append(dict(path=e.path, reason=e.reason))
                tried.add(index)
                if self.test_mode and self._donor is not None:  # shapes known: read no more
                    data = self._placeholder(self.stream_index(key), self._donor)
                    set_sample_meta(data, failures=failures)
                    return data
                replacement = self._replacement(key, attempt + 1, tried)
                if replacement is None:
                    break
                index = replacement
                continue
            if data is None:
                raise RuntimeError(
                    f'{type(self).__name__}: the pipeline dropped sample {index} '
                    f'({self.get_data_info(index)})'
                )
            if self.test_mode:
                self._donor = data
            if failures and self.test_mode:
                data = self._placeholder(self.stream_index(key), data)
            if failures:
                set_sample_meta(data, failures=failures)
            return data
        raise RuntimeError(
            f'{type(self).__name__}: {len(failures)} samples in a row failed for key {key}; '
            f'the data looks broken. Failures: {failures}'
        )


def _num_texts(text: Union[str, Sequence[str], None]) -> int:
    return 1 if text is None or isinstance(text, str) else len(text)


def set_sample_meta(data: dict[str, Any], **meta: Any) -> None:
    """Put ``meta`` in the packed data sample's metainfo, or in the results dict when the
    pipeline does not pack (datasets read with a bare pipeline)."""
    sample: object = data.get('data_samples')
    if hasattr(sample, 'set_metainfo'):
        sample.set_metainfo(meta)
    else:
        data.update(meta)
