"""Horizontal flip that keeps the text true: words naming a side are swapped with the frames."""

import re
from typing import Any, Dict, List, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform

from vtp.registry import TRANSFORMS


@TRANSFORMS.register_module()
class FlipVideo(BaseTransform):
    """Mirror all frames left-right with probability ``prob``, swapping side words in the text.

    A flipped clip of something moving left moves right; with ``swap_words`` the caption is
    rewritten to match (``left`` <-> ``right``, ``leftwards`` <-> ``rightwards``, ...), matching
    whole words and keeping capitalisation. So is every other field named in ``keys`` that
    the sample has (a clip ``identity`` that says what the clip shows).

    **Required Keys:** ``imgs`` (T, H, W, 3), ``text`` (str or list of str)

    **Modified Keys:** ``imgs``, ``text`` and the other ``keys``

    **Added Keys:** ``flipped`` (bool)

    Args:
        prob: flip probability.
        swap_words: word pairs exchanged in flipped samples' text; empty to keep the text.
        keys: the fields whose words are swapped (str or list of str), when the sample has
            them.
    """

    def __init__(
        self,
        prob: float = 0.5,
        swap_words: Sequence[Tuple[str, str]] = (
            ('left', 'right'),
            ('leftwards', 'rightwards'),
            ('leftward', 'rightward'),
        ),
        keys: Sequence[str] = ('text',),
    ) -> None:
        self.prob = prob
        self.keys = tuple(keys)
        self.mapping = {}
        for a, b in swap_words:
            self.mapping[a.lower()], self.mapping[b.lower()] = b.lower(), a.lower()
        words = sorted(self.mapping, key=len, reverse=True)
        self.pattern = (
            re.compile(r'\b(' + '|'.join(map(re.escape, words)) + r')\b', re.IGNORECASE)
            if words
            else None
        )

    def _swap(self, text: str) -> str:
        def replace(match: re.Match[str]) -> str:
            word = match.group(0)
            swapped = self.mapping[word.lower()]
            if word.isupper():
                return swapped.upper()
            return swapped.capitalize() if word[0].isupper() else swapped

        return self.pattern.sub(replace, text) if self.pattern else text

    def transform(self, results: Dict[str, Any]) -> Dict[str, Any]:
        flip = bool(np.random.rand() < self.prob)
        results['flipped'] = flip
        if flip:
            results['imgs'] = np.ascontiguousarray(results['imgs'][:, :, ::-1])
            for key in self.keys:
                if key in results:
                    text: Union[str, List[str]] = results[key]
                    swapped = [self._swap(t) for t in ([text] if isinstance(text, str) else text)]
                    results[key] = swapped[0] if isinstance(text, str) else swapped
        return results
