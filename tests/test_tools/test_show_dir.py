"""tools/test.py --show-dir on a retrieval model: a strip per caption, its ground truth framed
(the 5-clip gallery puts it in every top 5), and a page linking them all."""

import re

import numpy as np
from PIL import Image

from vtp.visualization import strip_size
from vtp.visualization.result_strip import MARK


def test_every_caption_gets_a_strip_with_its_ground_truth_framed(toy_retrieval):
    folder = toy_retrieval['show_dir'] / 'retrieval'
    page = (folder / 'index.html').read_text()
    strips = re.findall(r'<a href="([^"]+)"><img src="\1"', page)
    predictions = toy_retrieval['result']['predictions']
    assert strips == [f'{i:04d}.png' for i in range(len(predictions))]
    for name, p in zip(strips, predictions):
        rank = p['top10'].index(p['video_id']) + 1
        assert f'ground truth at rank {rank}' in page
        with Image.open(folder / name) as strip:
            assert strip.size == strip_size(5, 4)
            assert np.all(np.asarray(strip.convert('RGB')) == MARK, axis=2).any()
