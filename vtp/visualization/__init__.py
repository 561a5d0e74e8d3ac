"""Pictures of results: frame strips of retrieved clips and answered questions, and the HTML
pages that show them."""

from .clip_frames import ClipThumbnails, read_clip_frames
from .prediction_pages import clip_row, write_prediction_pages
from .result_page import ResultPage
from .result_strip import StripRow, draw_strip, strip_size

__all__ = [
    'ClipThumbnails',
    'ResultPage',
    'StripRow',
    'clip_row',
    'draw_strip',
    'read_clip_frames',
    'strip_size',
    'write_prediction_pages',
]
