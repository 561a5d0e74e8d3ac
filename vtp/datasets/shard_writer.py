"""Write samples as WebDataset-layout tar shards and the manifest of their sample counts."""

import io
import json
import os.path as osp
import tarfile
from typing import BinaryIO, Dict, Iterable, Sequence, Tuple

from vtp.datasets.shard_files import MANIFEST
from vtp.utils.atomic_file import write_atomically

Sample = Tuple[str, Dict[str, bytes]]  # (key, {extension: bytes})


def write_shard(path: str, samples: Iterable[Sample]) -> int:
    """Write ``samples`` as the tar ``path`` (``KEY.EXT`` members, in order, with fixed
    owners and times so the same samples give the same bytes); the number written.

    The tar is written whole or not at all (:func:`~vtp.utils.atomic_file.write_atomically`),
    so a shard that exists is complete (what a resumed ``tools/data/make_shards.py`` relies on).
    """
    count = 0

    def write(f: BinaryIO) -> None:
        nonlocal count
        with tarfile.open(fileobj=f, mode='w', format=tarfile.PAX_FORMAT) as tar:
            for key, files in samples:
                if not key or '.' in osp.basename(key):
                    raise ValueError(f'{path}: sample key {key!r} is empty or has a dot')
                for extension, data in files.items():
                    member = tarfile.TarInfo(f'{key}.{extension}')
                    member.size, member.mode, member.mtime = len(data), 0o644, 0
                    tar.addfile(member, io.BytesIO(data))
                count += 1

    write_atomically(path, write, binary=True)
    return count


def write_manifest(folder: str, counts: Sequence[Tuple[str, int]]) -> str:
    """Write ``folder/manifest.json`` listing ``(shard name, sample count)`` in order (names
    relative to ``folder``), whole or not at all; its path."""
    path = osp.join(folder, MANIFEST)
    manifest = dict(
        samples=sum(n for _, n in counts),
        shards=[dict(shard=name, samples=n) for name, n in counts],
    )
    write_atomically(path, lambda f: json.dump(manifest, f, indent=1))
    return path
