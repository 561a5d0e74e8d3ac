"""Write samples as WebDataset-layout tar shards and the manifest of their sample counts."""

import io
import json
import os
import os.path as osp
import tarfile
from typing import Dict, Iterable, Sequence, Tuple

from vtp.datasets.shard_files import MANIFEST

Sample = Tuple[str, Dict[str, bytes]]  # (key, {extension: bytes})


def write_shard(path: str, samples: Iterable[Sample]) -> int:
    """Write ``samples`` as the tar ``path`` (``KEY.EXT`` members, in order, with fixed
    owners and times so the same samples give the same bytes); the number written.

    The tar is written beside ``path`` and renamed into place when complete, so a shard that
    exists is whole (what a resumed ``tools/data/make_shards.py`` relies on).
    """
    partial = f'{path}.partial'
    count = 0
    try:
        with tarfile.open(partial, 'w', format=tarfile.PAX_FORMAT) as tar:
            for key, files in samples:
                if not key or '.' in osp.basename(key):
                    raise ValueError(f'{path}: sample key {key!r} is empty or has a dot')
                for extension, data in files.items():
                    member = tarfile.TarInfo(f'{key}.{extension}')
                    member.size, member.mode, member.mtime = len(data), 0o644, 0
                    tar.addfile(member, io.BytesIO(data))
                count += 1
    except BaseException:
        os.remove(partial)
        raise
    os.replace(partial, path)
    return count


def write_manifest(folder: str, counts: Sequence[Tuple[str, int]]) -> str:
    """Write ``folder/manifest.json`` listing ``(shard name, sample count)`` in order (names
    relative to ``folder``); its path."""
    path = osp.join(folder, MANIFEST)
    manifest = dict(
        samples=sum(n for _, n in counts),
        shards=[dict(shard=name, samples=n) for name, n in counts],
    )
    with open(path, 'w') as f:
        json.dump(manifest, f, indent=1)
    return path
