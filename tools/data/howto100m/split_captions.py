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
from typing import IO, Any, Iterator, List, Optional, Set, Tuple

from tqdm import tqdm

CHUNK = 1 << 24  # characters read at a time


def skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in ' \t\r\n':
        pos += 1
    return pos


class _Stream:
    """A JSON text read ``CHUNK`` characters at a time: its next non-space character and the
    value starting there (strings and objects, which end with a closing character, so a value
    cut by the end of a chunk fails to decode and is read again with more)."""

    def __init__(self, f: IO[str]) -> None:
        self.f, self.name = f, getattr(f, 'name', 'the input')
        self.buffer, self.pos, self.consumed = '', 0, 0  # consumed: characters before buffer
        self.decoder = json.JSONDecoder()

    def _more(self) -> bool:
        more = self.f.read(CHUNK)
        if more:
            self.buffer, self.consumed = self.buffer[self.pos :] + more, self.consumed + self.pos
            self.pos = 0
        return bool(more)

    def where(self) -> int:
        return self.consumed + self.pos

    def peek(self) -> str:
        """The next non-space character ('' at the end of the text)."""
        while True:
            self.pos = skip_space(self.buffer, self.pos)
            if self.pos < len(self.buffer) or not self._more():
                return self.buffer[self.pos : self.pos + 1]

    def expect(self, char: str, after: str) -> None:
        found = self.peek()
        if found != char:
            what = repr(found) if found else 'the end of the file (truncated?)'
            raise ValueError(
                f'{self.name}: expected {char!r} {after}, found {what} at character {self.where()}'
            )
        self.pos += 1

    def value(self) -> Any:
        self.peek()
        while True:
            try:
                value, self.pos = self.decoder.raw_decode(self.buffer, self.pos)
                return value
            except json.JSONDecodeError:
                if not self._more():
                    raise ValueError(
                        f'{self.name}: malformed or truncated JSON after character {self.where()}'
                    ) from None


def iter_members(f: IO[str], progress: Optional[tqdm] = None) -> Iterator[Tuple[str, dict]]:
    """Stream the ``(key, value)`` members of a JSON object whose values are objects, as
    strictly as ``json.load`` reads it (a missing or extra comma, text after the object, a
    key given twice are errors), each value without a ``video_id`` of its own."""
    stream = _Stream(f)
    stream.expect('{', 'at the start (a JSON object)')
    seen: Set[str] = set()
    if stream.peek() == '}':
        stream.pos += 1
    else:
        while True:
            start = stream.where()
            key = stream.value()
            stream.expect(':', f'after key {key!r}')
            value = stream.value()
            if not isinstance(key, str) or not isinstance(value, dict):
                raise ValueError(f'{stream.name}: member {key!r} is not "video_id": {{...}}')
            if key in seen:
                raise ValueError(f'{stream.name}: video {key!r} is given twice')
            if 'video_id' in value:
                raise ValueError(f'{stream.name}: video {key!r} has a "video_id" of its own')
            seen.add(key)
            if progress is not None:
                progress.update(stream.where() - start)  # characters: bytes in ASCII JSON
            yield key, value
            if stream.peek() != ',':
                stream.expect('}', f'after video {key!r}')
                break
            stream.pos += 1
            if stream.peek() == '}':
                raise ValueError(f'{stream.name}: a comma after the last video {key!r}')
    if stream.peek():
        raise ValueError(f'{stream.name}: text after the JSON object at character {stream.where()}')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src', help='caption.json')
    parser.add_argument('dst', help='output .jsonl')
    parser.add_argument('--videos', help='keep only videos whose file is in this folder')
    parser.add_argument('--video-ext', default='.mp4')
    args = parser.parse_args(argv)
    if not osp.isfile(args.src):
        parser.error(f'{args.src}: no such file')
    if osp.isdir(args.dst):
        parser.error(f'{args.dst}: a folder, give the output file')
    src = osp.realpath(args.src)
    if src in (osp.realpath(args.dst), osp.realpath(args.dst + '.partial')):
        parser.error(f'{args.dst}: the input itself (or its .partial), which would replace it')
    if args.videos and not osp.isdir(args.videos):
        parser.error(f'--videos {args.videos}: not a folder')
    return args


def resumed(partial: str) -> List[str]:
    """The video ids of the complete lines of an interrupted run's ``partial`` file (cut back
    to them)."""
    if not osp.exists(partial):
        return []
    with open(partial, 'rb') as f:
        lines = f.read().split(b'\n')
    done = lines[:-1]  # the last element is '' or a cut-off line
    with open(partial, 'wb') as f:
        f.write(b''.join(line + b'\n' for line in done))
    return [json.loads(line)['video_id'] for line in done]


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    present: Optional[Set[str]] = None
    if args.videos:
        present = {
            osp.splitext(name)[0]
            for name in os.listdir(args.videos)
            if name.endswith(args.video_ext)
        }
    partial = args.dst + '.partial'
    kept = skipped = 0
    try:
        done = resumed(partial)
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
                if kept <= len(done):  # written by the interrupted run: the same video?
                    if done[kept - 1] != video_id:
                        raise ValueError(
                            f'{partial} line {kept} is video {done[kept - 1]!r}, where this run '
                            f'keeps {video_id!r}: it was begun from another input or --videos; '
                            'delete it to start again'
                        )
                    continue
                dst.write(json.dumps(dict(video_id=video_id, **entry), ensure_ascii=False) + '\n')
    except (ValueError, KeyError, TypeError) as e:  # a damaged input or partial file
        raise SystemExit(f'error: {e}') from None
    if kept < len(done):
        raise SystemExit(
            f'error: {partial} holds {len(done)} videos, this run keeps {kept}: it was begun '
            'from another input or --videos; delete it to start again'
        )
    os.replace(partial, args.dst)
    print(
        f'{kept} videos written to {args.dst}'
        + (f' ({skipped} without a file in {args.videos} left out)' if present is not None else '')
    )


if __name__ == '__main__':
    main()
