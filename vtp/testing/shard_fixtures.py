"""Tiny tar-shard corpora in the WebDataset layout, written by vtp's own shard writer."""

from pathlib import Path
from typing import Dict, List, Optional, Sequence

from vtp.datasets.shard_writer import write_manifest, write_shard


def shard_name(index: int) -> str:
    return f'shard-{index:05d}.tar'


def write_shard_corpus(
    root: Path,
    sizes: Sequence[int],
    media: Optional[Dict[str, bytes]] = None,
    manifest: bool = True,
) -> List[str]:
    """Write shards of ``sizes`` samples under ``root`` (``shard-00000.tar``, ...) and, with
    ``manifest``, their ``manifest.json``; the keys written, in order.

    Sample ``s`` of shard ``i`` has key ``i-s`` (``'00002-0003'``), caption ``'caption i-s'``,
    a ``.json`` and a media member: ``media`` (one ``{extension: bytes}`` shared by every
    sample, a real clip for decoding tests) or, by default, ``KEY.mp4`` holding the bytes of
    its key (enough for tests of order, which read without decoding).
    """
    root.mkdir(parents=True, exist_ok=True)
    keys, counts = [], []
    for i, size in enumerate(sizes):
        samples = []
        for s in range(size):
            key = f'{i:05d}-{s:04d}'
            files = dict(media or {'mp4': key.encode()})
            files.update(txt=f'caption {key}'.encode(), json=b'{"key": "%s"}' % key.encode())
            samples.append((key, files))
            keys.append(key)
        counts.append((shard_name(i), write_shard(str(root / shard_name(i)), samples)))
    if manifest:
        write_manifest(str(root), counts)
    return keys
