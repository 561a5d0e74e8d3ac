"""Check, before anything starts, that the files and folders a config reads exist."""

import os.path as osp
from typing import Iterator, Optional, Sequence, Tuple

from mmengine.config import Config

from vtp.datasets.shard_files import join
from vtp.registry import DATASETS

DATA_DOCS = 'tools/data/{}/README.md'  # in the repository, beside the package
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


class DataNotFoundError(FileNotFoundError):
    """A config names an annotation file or media folder that does not exist."""


def _dataset_paths(dataset: object, key: str) -> Iterator[Tuple[str, str, bool]]:
    """``(path, config key, is_folder)`` for each local path ``dataset`` reads, joined to its
    ``data_root`` as the dataset joins them; wrapped datasets (``dataset``/``datasets``) too."""
    if not isinstance(dataset, dict):
        return
    if isinstance(dataset.get('dataset'), dict):
        yield from _dataset_paths(dataset['dataset'], f'{key}.dataset')
    for i, member in enumerate(dataset.get('datasets') or ()):
        yield from _dataset_paths(member, f'{key}.datasets[{i}]')
    root = dataset.get('data_root') or ''
    kind = dataset.get('type')
    cls = DATASETS.get(kind) if isinstance(kind, str) else kind
    joined = f'{key}.data_root={root!r} and ' if root else f'{key}.'
    for name in ('ann_file', *getattr(cls, 'extra_files', ())):
        if dataset.get(name):
            yield osp.join(root, dataset[name]), f'{joined}{name}={dataset[name]!r}', False
    for name, prefix in (dataset.get('data_prefix') or {}).items():
        if isinstance(prefix, str) and (prefix or root):
            yield osp.join(root, prefix), f'{joined}data_prefix.{name}={prefix!r}', True
    if dataset.get('manifest'):  # tar shards: the manifest and the lists of shards (a shard
        # that vanished is a counted sample failure at run time, as documented)
        yield join(root, dataset['manifest']), f'{joined}manifest={dataset["manifest"]!r}', False
    shards = dataset.get('shards')
    items = [shards] if isinstance(shards, str) else list(shards or ())
    for item in items:
        if item.endswith('.txt'):
            yield join(root, item), f'{joined}shards={shards!r}', False


def missing_data(cfg: Config, loaders: Sequence[str]) -> Optional[str]:
    """One line naming the first path the ``loaders`` (e.g. ``'train_dataloader'``) of ``cfg``
    read that does not exist, the config key that set it and where to read how to get the
    data; None when all exist. Remote paths (``s3://``, ...) are not checked."""
    for loader in loaders:
        dataset = (cfg.get(loader) or {}).get('dataset')
        for path, key, folder in _dataset_paths(dataset, f'{loader}.dataset'):
            if '://' in path or (osp.isdir(path) if folder else osp.isfile(path)):
                continue
            parts = osp.normpath(path).split(osp.sep)
            corpus = parts[parts.index('data') + 1] if 'data' in parts[:-1] else None
            docs = DATA_DOCS.format(corpus) if corpus else None
            where = (
                f'see {docs}'
                if docs and osp.isfile(osp.join(REPO, docs))
                else 'see docs/user_guides/2_data_preparation.md'
            )
            kind = 'folder' if folder else 'file'
            return f'data {kind} not found: {path} (set by {key}); {where} for how to get it'
    return None


def check_data(cfg: Config, loaders: Sequence[str]) -> None:
    """Raise :class:`DataNotFoundError` with :func:`missing_data`'s line, if any."""
    problem = missing_data(cfg, loaders)
    if problem:
        raise DataNotFoundError(problem)
