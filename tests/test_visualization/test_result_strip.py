"""The strip of one query: its size follows the rows and frames, each frame sits centred in its
box, a marked row is framed in green and only it, unreadable clips keep dark boxes, and text
too long for its place is cut to fit."""

import time

import numpy as np
from PIL import ImageDraw, ImageFont

from vtp.visualization import StripRow, draw_strip, strip_size
from vtp.visualization.result_strip import (
    BACKGROUND,
    FRAME_BACKGROUND,
    MARK,
    PAD,
    TEXT_WIDTH,
    THUMB_SIZE,
    TITLE_HEIGHT,
    shorten,
)

BOX_H, BOX_W = THUMB_SIZE


def solid(colour, height=BOX_H, width=BOX_W):
    return np.full((height, width, 3), colour, np.uint8)


def box_centre(row: int, frame: int):
    """(y, x) of the centre of a frame box."""
    top = TITLE_HEIGHT + row * (BOX_H + PAD)
    left = PAD + TEXT_WIDTH + frame * (BOX_W + PAD)
    return top + BOX_H // 2, left + BOX_W // 2


def test_size_grows_by_one_box_per_frame_and_per_row():
    w1, h1 = strip_size(1, 1)
    assert strip_size(1, 3) == (w1 + 2 * (BOX_W + PAD), h1)
    assert strip_size(4, 1) == (w1, h1 + 3 * (BOX_H + PAD))


def test_frames_are_drawn_in_their_boxes_and_the_marked_row_is_framed():
    rows = [
        StripRow([solid((200, 0, 0)), solid((0, 0, 200))], ['#1  score 0.9', 'a.mp4']),
        StripRow([solid((0, 200, 0), 10, 20)], ['#2  score 0.5', 'b.mp4'], 'ground truth'),
        StripRow('b.mp4: missing file', ['#3  score 0.1', 'c.mp4']),
    ]
    image = np.asarray(draw_strip('a red circle moving left', rows, 3))
    assert (image.shape[1], image.shape[0]) == strip_size(3, 3)
    assert tuple(image[box_centre(0, 0)]) == (200, 0, 0)
    assert tuple(image[box_centre(0, 1)]) == (0, 0, 200)
    assert tuple(image[box_centre(0, 2)]) == FRAME_BACKGROUND  # fewer frames than boxes
    assert tuple(image[box_centre(1, 0)]) == (0, 200, 0)  # a small frame, centred
    assert tuple(image[box_centre(1, 0)[0], box_centre(1, 0)[1] - 15]) == FRAME_BACKGROUND
    assert all(tuple(image[box_centre(2, f)]) == FRAME_BACKGROUND for f in range(3))
    green = np.all(image == MARK, axis=2)
    row_of = [(y - TITLE_HEIGHT + PAD // 2) // (BOX_H + PAD) for y in np.nonzero(green)[0]]
    assert green.sum() > 2 * (BOX_W + BOX_H) and set(row_of) == {1}  # only the marked row


def test_a_large_frame_is_scaled_to_fit_its_box():
    big = solid((0, 0, 255), 4 * BOX_H, 2 * BOX_W)  # taller: scaled to the box's height
    image = np.asarray(draw_strip('q', [StripRow([big], ['x'])], 1))
    y, x = box_centre(0, 0)
    assert tuple(image[y - BOX_H // 2, x]) == (0, 0, 255)  # fills the height
    assert tuple(image[y, x - BOX_W // 2]) == FRAME_BACKGROUND  # but not the width


def test_a_caption_of_any_length_is_cut_to_fit_quickly():
    """The cut is found by bisection over short prefixes (one character at a time took 20 s
    for 4,000): a 100,000-character caption draws at once and stays inside the strip."""
    caption = 'a red circle moves left ' * 4200  # 100,800 characters
    start = time.perf_counter()
    image = draw_strip(caption, [StripRow('unreadable', ['#1', caption])], 2)
    assert time.perf_counter() - start < 1
    pixels = np.asarray(image)
    title = pixels[: TITLE_HEIGHT - 2]
    inked = np.nonzero(np.any(title != BACKGROUND, axis=2))[1]
    assert inked.min() >= PAD and inked.max() < image.width - PAD  # drawn, and it fits
    draw, font = ImageDraw.Draw(image), ImageFont.load_default(size=15)
    width = image.width - 2 * PAD
    cut = shorten(draw, caption, font, width)
    assert cut.endswith('...') and caption.startswith(cut[:-3])
    assert draw.textlength(cut, font=font) <= width  # the longest prefix that fits
    assert draw.textlength(caption[: len(cut) - 2] + '...', font=font) > width
    assert shorten(draw, 'short', font, width) == 'short'
