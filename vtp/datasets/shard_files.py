"""Name, list and open tar shards on local disk or behind any fsspec URL."""

import itertools
import json
import os.path as osp
import re
from typing import IO, Dict, List, Sequence, Union

from vtp.datasets.annotation import unique_keys
from vtp.utils.checks import is_int

BRACES = re.compile(r'\{([^{}]*)\}')
RANGE = re.compile(r'^(\d+)\.\.(\d+)$')
MANIFEST = 'manifest.json'
# More samples than a tar can hold in practice (each takes at least two 512-byte headers): a
# count past it is a damaged manifest, not a shard.
MAX_SHARD_SAMPLES = 10**9


def is_url(path: str) -> bool:
    """Whether ``path`` needs fsspec (``s3://``, ``gs://``, ``http(s)://``, ...): a scheme
    other than ``file://``."""
    return '://' in path and not path.startswith('file://')


def open_binary(path: str) -> IO[bytes]:
    """Open ``path`` (a local file, ``file://`` or any URL fsspec serves) for binary reading.

    fsspec is imported only for a URL; without it the error names the package to install.
    """
    if not is_url(path):
        return open(path.removeprefix('file://'), 'rb')
    try:
        import fsspec
    except ImportError:
        raise ImportError(
            f'reading {path} needs fsspec (pip install fsspec, plus s3fs for s3://, gcsfs for '
            'gs://, aiohttp for http(s)://)'
        ) from None
    file: IO[bytes] = fsspec.open(path, 'rb').open()
    return file


def read_text(path: str) -> str:
    """The UTF-8 text of file ``path``; a ValueError naming it when it is not UTF-8."""
    with open_binary(path) as f:
        data = f.read()
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError as e:
        raise ValueError(f'{path}: not UTF-8 ({e.reason} at byte {e.start})') from None


def join(root: str, path: str) -> str:
    """``path`` under ``root`` unless it is absolute or a URL; a plain local path is normalised
    (``./a.tar`` and ``a.tar`` are one name)."""
    if '://' in path:
        return path
    if osp.isabs(path):
        return osp.normpath(path)
    if is_url(root):
        return f'{root.rstrip("/")}/{path}'
    if '://' in root:  # file://
        return osp.join(root, path)
    return osp.normpath(osp.join(root, path))


def expand_braces(pattern: str) -> List[str]:
    """All names a brace pattern stands for, in order: ``{00000..00099}`` is a zero-padded
    numeric range (padded to the width of its first bound when that starts with 0) and
    ``{a,b}`` a list; several braces give every combination, the last varying fastest."""
    parts = BRACES.split(pattern)  # literal, brace, literal, brace, ..., literal
    choices: List[List[str]] = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            choices.append([part])
            continue
        numbers = RANGE.match(part)
        if numbers is None:
            choices.append(part.split(','))
            continue
        first, last = numbers.groups()
        width = len(first) if first.startswith('0') else 0
        step = 1 if int(last) >= int(first) else -1
        values = range(int(first), int(last) + step, step)
        choices.append([str(v).zfill(width) for v in values])
    return [''.join(combination) for combination in itertools.product(*choices)]


def list_shards(shards: Union[str, Sequence[str]], root: str = '') -> List[str]:
    """The shard paths or URLs of ``shards``: a brace pattern, a list file (``.txt``: one
    shard per line, relative to the list's folder; blank lines and ``#`` comments skipped) or
    a sequence of either; relative paths are joined to ``root``."""
    items = [shards] if isinstance(shards, str) else list(shards)
    where: Dict[str, str] = {}  # shard -> where it is listed
    for item in items:
        path = join(root, item)
        if not path.endswith('.txt'):
            listed = [(join('', p), f'shards entry {item!r}') for p in expand_braces(path)]
        else:
            folder = path.rsplit('/', 1)[0] if '/' in path else ''
            listed = [
                (join(folder, text.strip()), f'{path}, line {n}')
                for n, text in enumerate(read_text(path).splitlines(), start=1)
                if text.strip() and text[0] != '#'
            ]
        for shard, at in listed:
            if shard in where:
                raise ValueError(f'{at}: shard {shard} is listed twice (first: {where[shard]})')
            where[shard] = at
    if not where:
        raise ValueError(f'no shards listed by {shards!r}')
    return list(where)


def read_manifest(path: str) -> Dict[str, int]:
    """Shard path or URL -> sample count, from a manifest written by
    ``tools/data/make_shards.py``: JSON ``{"shards": [{"shard": NAME, "samples": N}, ...]}``,
    names relative to the manifest's folder.

    Raises:
        ValueError: naming the file (and the entry): not UTF-8 or JSON, not of that form, a
            name that is not a string or is listed twice, a count that is not an integer >= 0.
    """
    form = '{"shards": [{"shard": NAME, "samples": N}, ...]}'
    try:
        manifest = json.loads(read_text(path), object_pairs_hook=unique_keys)
    except ValueError as e:  # not JSON, or a key given twice
        raise ValueError(f'{path}: not a shard manifest ({form}): {e}') from None
    entries = manifest.get('shards') if isinstance(manifest, dict) else None
    if not isinstance(entries, list):
        raise ValueError(f'{path}: not a shard manifest ({form}): no "shards" list')
    folder = path.rsplit('/', 1)[0] if '/' in path else ''

    def bad(i: int, entry: object, problem: str) -> ValueError:
        return ValueError(f'{path}: shard entry {i} ({json.dumps(entry)[:200]}): {problem}')

    counts: Dict[str, int] = {}
    for i, entry in enumerate(entries):
        name = entry.get('shard') if isinstance(entry, dict) else None
        samples = entry.get('samples') if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name:
            raise bad(i, entry, '"shard" must be a file name')
        if not is_int(samples) or not 0 <= samples <= MAX_SHARD_SAMPLES:
            raise bad(i, entry, f'"samples" must be an integer in 0..{MAX_SHARD_SAMPLES}')
        shard = join(folder, name)
        if shard in counts:
            raise bad(i, entry, f'{name} is listed twice')
        counts[shard] = samples
    return counts
