"""Turn HowTo100M's (or CNVid's) ``caption.json`` into JSON lines, one video per line.

The released ``caption.json`` is one JSON object of about 2 GB (``{video_id: {"start": [...],
"end": [...], "text": [...]}}``); parsing it whole takes many times that in memory, in every
process that reads it. This script streams it and writes ``{"video_id": ..., "start": [...],
"end": [...], "text": [...]}`` per line, which ``HowTo100MDataset`` / ``CNVidDataset`` read one
line at a time. With ``--videos`` (a folder), only videos present there are kept. Progress is
shown in bytes; an interrupted run resumes (the lines already written are kept and the input
is skipped up to them); the output appears under its final name only when complete.

    python tools/data/howto100m/split_captions.py data/howto100m/caption.json \
        data/howto100m/caption.jsonl --videos data/howto100m/videos
"""

import argparse
import json
import os
import os.path as osp
from typing import IO, Iterator, Optional, Set, Tuple

from tqdm import tqdm

CHUNK = 1 << 24  # characters read at a time


def skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in ' \t\r\n':
        pos += 1
    return pos


def iter_members(f: IO[str], progress: Optional[tqdm] = None) -> Iterator[Tuple[str, dict]]:
    """Stream the ``(key, value)`` members of a JSON object whose values are objects."""
    decoder = json.JSONDecoder()
    buffer, pos, consumed = f.read(CHUNK), 0, 0
    pos = skip_space(buffer, pos)
    if buffer[pos : pos + 1] != '{':
        raise ValueError(f'{f.name}: expected a JSON object')
    pos += 1
    while True:
        pos = skip_space(buffer, pos)
        if buffer[pos : pos + 1] == ',':
            pos += 1
            continue
        if buffer[pos : pos + 1] == '}':
            return
        try:
            key, end = decoder.raw_decode(buffer, pos)
            end = skip_space(buffer, end)
            if buffer[end : end + 1] != ':':
                raise json.JSONDecodeError("expected ':'", buffer, end)
            value, end = decoder.raw_decode(buffer, skip_space(buffer, end + 1))
        except json.JSONDecodeError:
            more = f.read(CHUNK)
            if not more:
                raise ValueError(
                    f'{f.name}: malformed or truncated JSON after character {consumed + pos}'
                ) from None
            buffer, consumed, pos = buffer[pos:] + more, consumed + pos, 0
            continue
        if not isinstance(key, str) or not isinstance(value, dict):
            raise ValueError(f'{f.name}: member {key!r} is not "video_id": {{...}}')
        if progress is not None:
            progress.update(len(buffer[pos:end].encode('utf-8')))
        yield key, value
        pos = end


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src', help='caption.json')
    parser.add_argument('dst', help='output .jsonl')
    parser.add_argument('--videos', help='keep only videos whose file is in this folder')
    parser.add_argument('--video-ext', default='.mp4')
    args = parser.parse_args()

    present: Optional[Set[str]] = None
    if args.videos:
        present = {
            osp.splitext(name)[0]
            for name in os.listdir(args.videos)
            if name.endswith(args.video_ext)
        }
    partial = args.dst + '.partial'
    done = 0
    if osp.exists(partial):
        with open(partial, 'rb') as f:
            lines = f.read().split(b'\n')
        done = len(lines) - 1  # the last element is '' or a cut-off line
        with open(partial, 'wb') as f:
            f.write(b'\n'.join(lines[:done]) + (b'\n' if done else b''))
    kept = skipped = 0
    with (
        open(args.src, encoding='utf-8') as src,
        open(partial, 'a', encoding='utf-8') as dst,
        tqdm(total=osp.getsize(args.src), unit='B', unit_scale=True) as progress,
    ):
        for video_id, entry in iter_members(src, progress):
            if present is not None and video_id not in present:
                skipped += 1
                continue
            kept += 1
            if kept <= done:
                continue  # written by the interrupted run
            dst.write(json.dumps(dict(video_id=video_id, **entry), ensure_ascii=False) + '\n')
    os.replace(partial, args.dst)
    print(
        f'{kept} videos written to {args.dst}'
        + (f' ({skipped} without a file in {args.videos} left out)' if present is not None else '')
    )


if __name__ == '__main__':
    main()
