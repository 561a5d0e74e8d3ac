"""The output of ``tools/extract_features.py``: clip embeddings in shards that processes fill
independently and a rerun skips once written.

``OUT/manifest.json`` says what the features were computed from; shard ``i`` holds gallery
videos ``[i * shard_size, (i + 1) * shard_size)`` as ``shard_0000i.npy`` ((V_i, E) embeddings
of its readable videos, float16 by default) and ``shard_0000i.csv`` (one row per video:
``index`` in the gallery, ``path``, ``video_id``, ``start``, ``end``, ``duration`` in seconds,
``frames`` used, ``row`` in the ``.npy`` or empty, and ``error`` for an unreadable one). The
table is written last, so a shard with its table is complete.
"""

import csv
import json
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from vtp.apis.features_key import differing_parts
from vtp.utils.atomic_file import write_atomically
from vtp.utils.checks import is_int, require_int

MANIFEST = 'manifest.json'
COLUMNS = ('index', 'path', 'video_id', 'start', 'end', 'duration', 'frames', 'row', 'error')
DTYPES = ('float16', 'float32')


def shard_name(index: int) -> str:
    return f'shard_{index:05d}'


def shard_ranges(num_items: int, shard_size: int) -> List[range]:
    """The gallery positions of each shard, in order."""
    require_int('shard_size', shard_size, 1)
    return [range(s, min(s + shard_size, num_items)) for s in range(0, num_items, shard_size)]


def shards_of_rank(num_shards: int, rank: int, world_size: int) -> List[int]:
    """The shards process ``rank`` of ``world_size`` extracts: ``rank, rank + world_size, ...``
    (every shard exactly once over the processes)."""
    if not 0 <= rank < world_size:
        raise ValueError(f'rank must be in [0, {world_size}), got {rank}')
    return list(range(rank, num_shards, world_size))


def read_manifest(out_dir: str) -> Optional[Dict[str, Any]]:
    """The manifest of the features in ``out_dir``; None when there is none.

    Raises:
        ValueError: the file is not a JSON object (damaged, or not a features manifest); the
            message names it.
    """
    path = osp.join(out_dir, MANIFEST)
    if not osp.isfile(path):
        return None
    try:
        with open(path, encoding='utf-8') as f:
            manifest = json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f'{path} is not a features manifest (not JSON: {e})') from None
    if not isinstance(manifest, dict):
        raise ValueError(
            f'{path} is not a features manifest (a JSON {type(manifest).__name__}, not an '
            'object): choose another --out, or delete the folder to start again'
        )
    return manifest


def _differs(old: Dict[str, Any], new: Dict[str, Any], name: str) -> bool:
    """Whether entry ``name`` of two manifests differs. Keys (``key``) are compared part by
    part (:func:`~vtp.apis.features_key.differing_parts`), so a folder begun before a key
    gained a part can be finished; where both have one, the ``config`` and ``checkpoint``
    paths are not compared (the key hashes what they hold: the same files moved or copied
    elsewhere may finish the extraction)."""
    a, b = old.get(name), new.get(name)
    keyed = isinstance(old.get('key'), dict) and isinstance(new.get('key'), dict)
    if name == 'key' and keyed:
        return bool(differing_parts(old['key'], new['key'], ('model', 'weights', 'files')))
    if name in ('config', 'checkpoint') and keyed:
        return False
    return a != b


def check_manifest(out_dir: str, manifest: Dict[str, Any]) -> None:
    """Write ``manifest`` in ``out_dir``, or check that the one there is the same: a folder
    holding features of another config, checkpoint, gallery or shard layout is an error
    (its shards would be mixed with new ones)."""
    os.makedirs(out_dir, exist_ok=True)
    path = osp.join(out_dir, MANIFEST)
    old = read_manifest(out_dir)
    if old is not None:
        differ = sorted(k for k in set(old) | set(manifest) if _differs(old, manifest, k))
        if differ:
            raise ValueError(
                f'{out_dir} holds features computed differently ({", ".join(differ)} differ '
                f'from {path}): choose another --out, or delete it to start again'
            )
        return
    write_atomically(path, lambda f: json.dump(manifest, f, indent=2))


def shard_done(out_dir: str, index: int) -> bool:
    return osp.isfile(osp.join(out_dir, shard_name(index) + '.csv'))


def write_shard(
    out_dir: str, index: int, results: Sequence[Dict[str, Any]], dtype: str = 'float16'
) -> Tuple[int, int]:
    """Write one shard from per-video results (``embed`` (E,) with ``duration`` and
    ``frames``, or ``error``; each with ``index`` in the gallery and ``item``).

    Returns:
        ``(readable, unreadable)`` video counts.
    """
    if dtype not in DTYPES:
        raise ValueError(f'dtype must be one of {DTYPES}, got {dtype!r}')
    results = sorted(results, key=lambda r: int(r['index']))  # table rows and array rows alike
    read = [r for r in results if 'embed' in r]
    embeds = np.stack([r['embed'].numpy() for r in read]) if read else np.zeros((0, 0))
    name = osp.join(out_dir, shard_name(index))
    write_atomically(name + '.npy', lambda f: np.save(f, embeds.astype(dtype)), binary=True)
    rows, row = [], 0
    for r in results:
        item = r['item']
        ok = 'embed' in r
        rows.append(
            dict(
                index=r['index'],
                path=item['filename'],
                video_id=item.get('video_id', ''),
                start=item.get('start', ''),
                end=item.get('end', ''),
                duration=f'{r["duration"]:.3f}' if ok else '',
                frames=' '.join(map(str, r['frames'])) if ok else '',
                row=row if ok else '',
                error=r.get('error', ''),
            )
        )
        row += ok

    def write_table(f: Any) -> None:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)

    write_atomically(name + '.csv', write_table)
    return len(read), len(results) - len(read)


def read_features(out_dir: str) -> Tuple[np.ndarray, List[Dict[str, str]]]:
    """Every readable video's embedding and table row, in gallery order.

    Returns:
        ``(embeds (V, E) float32, rows)``; ``rows[i]`` describes ``embeds[i]``.

    Raises:
        FileNotFoundError: no manifest, or shards not yet written (named).
        ValueError: a damaged manifest (:func:`read_manifest`) or shard
            (:func:`read_shard`), or shards of different widths.
    """
    manifest = read_manifest(out_dir)
    path = osp.join(out_dir, MANIFEST)
    if manifest is None:
        raise FileNotFoundError(f'{path} not found: run tools/extract_features.py first')
    for key in ('num_items', 'shard_size'):
        if not is_int(manifest.get(key)) or manifest[key] < (key == 'shard_size'):
            raise ValueError(f'{path}: {key} must be a whole number, got {manifest.get(key)!r}')
    num_items = manifest['num_items']
    num_shards = len(shard_ranges(num_items, manifest['shard_size']))
    missing = [shard_name(i) for i in range(num_shards) if not shard_done(out_dir, i)]
    if missing:
        raise FileNotFoundError(
            f'{out_dir}: {len(missing)} of {num_shards} shards not written yet '
            f'({", ".join(missing[:5])}{", ..." if len(missing) > 5 else ""})'
        )
    embeds: List[np.ndarray] = []
    rows: List[Dict[str, str]] = []
    listed = 0
    for i in range(num_shards):
        shard, table = read_shard(osp.join(out_dir, shard_name(i)))
        listed += len(table)
        if len(shard):
            if embeds and shard.shape[1] != embeds[0].shape[1]:
                raise ValueError(
                    f'{out_dir}: {shard_name(i)}.npy holds embeddings of width {shard.shape[1]}, '
                    f'{shard_name(0)}.npy and others {embeds[0].shape[1]}'
                )
            embeds.append(shard)
            rows += [r for r in table if r['row'] != '']
    if listed != num_items:
        raise ValueError(f'{out_dir}: the shards list {listed} videos, {path} says {num_items}')
    if not embeds:
        raise ValueError(f'{out_dir}: no readable video in any shard')
    return np.concatenate(embeds), rows


def read_shard(name: str) -> Tuple[np.ndarray, List[Dict[str, str]]]:
    """The embeddings (float32) and table rows of shard ``name`` (without extension).

    Raises:
        ValueError: naming the file: a table without :data:`COLUMNS`, an array that is not
            (rows, width) numbers, table ``row`` numbers that are not ``0, 1, ...`` over the
            array's rows, or embeddings that are not finite unit vectors (vtp's models
            normalise them; another norm is damage, and would rank first or vanish).
    """
    with open(name + '.csv', newline='', encoding='utf-8') as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ValueError(f'{name}.csv: columns {reader.fieldnames}, expected {list(COLUMNS)}')
        table = list(reader)
    try:
        shard = np.load(name + '.npy')
    except (OSError, ValueError) as e:  # truncated, not .npy, or an object array (pickles)
        raise ValueError(f'{name}.npy: not an embedding array ({e})') from None
    numbers = [r['row'] for r in table if r['row'] != '']
    if numbers == [] and shard.size == 0:
        return np.zeros((0, 0), np.float32), table
    if shard.ndim != 2 or shard.dtype.kind != 'f':
        raise ValueError(
            f'{name}.npy: expected (rows, width) floats, got {shard.dtype} {shard.shape}'
        )
    if numbers != [str(i) for i in range(len(shard))]:
        raise ValueError(
            f'{name}.csv numbers {len(numbers)} readable videos ({", ".join(numbers[:5])}'
            f'{", ..." if len(numbers) > 5 else ""}), {name}.npy holds {len(shard)} embeddings '
            '(0, 1, ... expected): the two files do not belong together'
        )
    shard = shard.astype(np.float32)
    norms = np.linalg.norm(shard, axis=1)
    bad = ~(np.abs(norms - 1) < 1e-2)  # NaN too
    if bad.any():
        raise ValueError(
            f'{name}.npy: {int(bad.sum())} of {len(shard)} embeddings are not finite unit '
            f'vectors (row {int(np.argmax(bad))}: norm {norms[np.argmax(bad)]:.4g}): damaged, '
            'extract them again'
        )
    return shard, table


def failures(out_dir: str) -> List[Dict[str, str]]:
    """The table rows of the videos that could not be read, over all written shards."""
    found = []
    for name in sorted(os.listdir(out_dir)):
        if name.startswith('shard_') and name.endswith('.csv'):
            with open(osp.join(out_dir, name), newline='', encoding='utf-8') as f:
                found += [r for r in csv.DictReader(f) if r['error']]
    return found
