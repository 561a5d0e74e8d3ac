"""A folder of result strips and the ``index.html`` page that shows them in order."""

import html
import os
import os.path as osp
from typing import List, Sequence, Tuple

from vtp.visualization.result_strip import StripRow, draw_strip


class ResultPage:
    """Writes one PNG strip per query (``0000.png``, ``0001.png``, ...) into ``out_dir`` and,
    with :meth:`write`, an ``index.html`` that shows and links every strip.

    Args:
        out_dir: the folder (created if missing).
        title: the page's heading.
        num_frames: frames shown per clip.
    """

    def __init__(self, out_dir: str, title: str, num_frames: int = 4) -> None:
        os.makedirs(out_dir, exist_ok=True)
        self.out_dir, self.title, self.num_frames = out_dir, title, num_frames
        self.entries: List[Tuple[str, str, str]] = []  # (file name, title, note)

    def add(self, title: str, rows: Sequence[StripRow], note: str = '') -> str:
        """Draw and save the strip of one query; returns its path.

        Args:
            title: the query, shown on the strip and the page.
            rows: its results, best first.
            note: a line under the strip on the page (e.g. the rank of the ground truth).
        """
        name = f'{len(self.entries):04d}.png'
        path = osp.join(self.out_dir, name)
        draw_strip(title, rows, self.num_frames).save(path)
        self.entries.append((name, title, note))
        return path

    def write(self) -> str:
        """Write ``index.html`` (every strip, in the order added); returns its path."""
        parts = [
            '<!DOCTYPE html>',
            '<html><head><meta charset="utf-8">',
            f'<title>{html.escape(self.title)}</title>',
            '<style>body{font-family:sans-serif;margin:1em} img{max-width:100%}</style>',
            '</head><body>',
            f'<h1>{html.escape(self.title)}</h1>',
            f'<p>{len(self.entries)} strips</p>',
        ]
        for name, title, note in self.entries:
            parts += [
                f'<h3>{html.escape(title)}</h3>',
                f'<a href="{name}"><img src="{name}" alt="{html.escape(title, quote=True)}"></a>',
            ]
            if note:
                parts.append(f'<p>{html.escape(note)}</p>')
        parts.append('</body></html>')
        path = osp.join(self.out_dir, 'index.html')
        with open(path, 'w', encoding='utf-8') as f:
            f.write('\n'.join(parts) + '\n')
        return path
