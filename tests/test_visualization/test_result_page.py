"""A result page: one PNG per query that decodes to the strip's size, and an index.html that
shows and links every strip in order, its titles escaped."""

import re

import numpy as np
from PIL import Image

from vtp.visualization import ResultPage, StripRow, strip_size


def test_every_strip_is_saved_and_linked_in_order(tmp_path):
    page = ResultPage(str(tmp_path / 'pages'), 'Search <results>', num_frames=2)
    frame = np.zeros((8, 8, 3), np.uint8)
    paths = [
        page.add(f'query {i} <b>', [StripRow([frame], [f'#{r}']) for r in range(i + 1)], 'n')
        for i in range(3)
    ]
    index = page.write()
    for i, path in enumerate(paths):
        with Image.open(path) as image:
            assert image.format == 'PNG' and image.size == strip_size(i + 1, 2)
    text = open(index, encoding='utf-8').read()
    assert re.findall(r'<a href="([^"]+)"><img src="\1"', text) == [
        '0000.png',
        '0001.png',
        '0002.png',
    ]
    assert '<title>Search &lt;results&gt;</title>' in text and 'query 1 &lt;b&gt;' in text
    assert '<b>' not in text
