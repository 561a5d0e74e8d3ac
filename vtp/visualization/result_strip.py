"""One picture per query: a title, then one row per result with its frames and text beside
them; rows to point out (the ground truth, a correct answer) are framed in green."""

from dataclasses import dataclass
from typing import List, Sequence, Tuple, Union

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from vtp.visualization.clip_frames import fit

THUMB_SIZE = (72, 96)
"""(height, width) of the box each frame is fitted into."""
PAD = 6
TEXT_WIDTH = 260
TITLE_HEIGHT = 30
LINE_HEIGHT = 16
BACKGROUND = (255, 255, 255)
FRAME_BACKGROUND = (32, 32, 32)
TEXT = (20, 20, 20)
MARK = (0, 160, 60)
"""Colour of a marked row's border and tag."""
MARK_WIDTH = 3


@dataclass
class StripRow:
    """One result of a strip.

    Attributes:
        frames: frames (h, w, 3) uint8, scaled to fit in :data:`THUMB_SIZE` if larger; or a
            string saying why the clip cannot be shown.
        lines: text beside the frames (rank and score, the clip's name, ...).
        mark: a tag for a row to point out (``'ground truth'``, ``'correct'``), framed in
            green; empty for none.
    """

    frames: Union[List[np.ndarray], str]
    lines: Sequence[str]
    mark: str = ''


def strip_size(num_rows: int, num_frames: int) -> Tuple[int, int]:
    """(width, height) in pixels of a strip of ``num_rows`` rows of ``num_frames`` frames."""
    width = PAD + TEXT_WIDTH + num_frames * (THUMB_SIZE[1] + PAD)
    return width, TITLE_HEIGHT + num_rows * (THUMB_SIZE[0] + PAD) + PAD


def shorten(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int) -> str:
    """``text``, cut with an ellipsis to fit in ``width`` pixels.

    Only prefixes are measured, at most twice as long as the part that fits, and the cut is
    found by bisection: a caption of any length costs a few short measurements.
    """
    end = 16
    while end < len(text) and draw.textlength(text[:end], font=font) <= width:
        end *= 2  # text[:end] too wide, or end past the text
    if end >= len(text) and draw.textlength(text, font=font) <= width:
        return text
    fits, too_long = 0, min(end, len(text))  # text[:too_long] alone is already too wide
    while too_long - fits > 1:
        middle = (fits + too_long) // 2
        if draw.textlength(text[:middle] + '...', font=font) <= width:
            fits = middle
        else:
            too_long = middle
    return text[:fits] + '...'


def draw_strip(title: str, rows: Sequence[StripRow], num_frames: int) -> Image.Image:
    """The strip of ``rows``, ``num_frames`` frame boxes each (frames beyond are left out,
    missing ones left dark), sized by :func:`strip_size`.

    Args:
        title: the query (or question) shown on top.
        rows: the results, best first.
        num_frames: frame boxes per row.

    Returns:
        An RGB image.
    """
    image = Image.new('RGB', strip_size(len(rows), num_frames), BACKGROUND)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=13)
    bold = ImageFont.load_default(size=15)
    assert isinstance(font, ImageFont.FreeTypeFont) and isinstance(bold, ImageFont.FreeTypeFont)
    draw.text((PAD, PAD), shorten(draw, title, bold, image.width - 2 * PAD), TEXT, bold)
    box_h, box_w = THUMB_SIZE
    for r, row in enumerate(rows):
        top = TITLE_HEIGHT + r * (box_h + PAD)
        lines = list(row.lines) + ([f'[{row.mark}]'] if row.mark else [])
        if isinstance(row.frames, str):
            lines.append(row.frames)
        for i, line in enumerate(lines[: box_h // LINE_HEIGHT]):
            colour = MARK if row.mark and i == len(row.lines) else TEXT
            text = shorten(draw, line, font, TEXT_WIDTH - 2 * PAD)
            draw.text((PAD * 2, top + 2 + i * LINE_HEIGHT), text, colour, font)
        frames = [] if isinstance(row.frames, str) else row.frames
        for f in range(num_frames):
            left = PAD + TEXT_WIDTH + f * (box_w + PAD)
            draw.rectangle((left, top, left + box_w - 1, top + box_h - 1), FRAME_BACKGROUND)
            if f < len(frames):
                frame = frames[f]
                if frame.shape[0] > box_h or frame.shape[1] > box_w:
                    frame = fit(frame, THUMB_SIZE)
                h, w = frame.shape[:2]
                corner = (left + (box_w - w) // 2, top + (box_h - h) // 2)
                image.paste(Image.fromarray(frame), corner)
        if row.mark:
            right = PAD + TEXT_WIDTH + num_frames * (box_w + PAD) - PAD
            outline = (PAD // 2, top - PAD // 2, right + PAD // 2, top + box_h - 1 + PAD // 2)
            draw.rectangle(outline, outline=MARK, width=MARK_WIDTH)
    return image
