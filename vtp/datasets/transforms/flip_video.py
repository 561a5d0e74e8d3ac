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
    whole words and keeping capitalisation. So is the sample's ``identity``, where it has one:
    it says what the clip shows (see ``keys``).

    **Required Keys:** ``imgs`` (T, H, W, 3)

    **Modified Keys:** ``imgs``, and the ``keys`` the sample has (``text``, ``identity``)

    **Added Keys:** ``flipped`` (bool)

    Args:
        prob: flip probability.
        swap_words: word pairs exchanged in flipped samples' text; empty to keep the text.
        keys: the fields whose words are swapped, when the sample has them (each a str or a
            list of str): the caption, and a clip identity that says what the clip shows
            (``WebVidDataset(identity_column=...)``), which a flip changes as it changes the
            caption.
    """

    def __init__(
        self,
        prob: float = 0.5,
        swap_words: Sequence[Tuple[str, str]] = (
            ('left', 'right'),
            ('leftwards', 'rightwards'),
            ('leftward', 'rightward'),
        ),
        keys: Union[str, Sequence[str]] = ('text', 'identity'),
    ) -> None:
        self.prob = prob
        keys = (keys,) if isinstance(keys, str) else tuple(keys or ())
        if not keys or not all(isinstance(key, str) and key for key in keys):
            raise TypeError(f'FlipVideo.keys must be field names, got {keys!r}')
        self.keys = tuple(dict.fromkeys(keys))  # a field named twice is swapped once
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

    def _swap_field(self, key: str, value: Any) -> Union[str, List[str]]:
        texts = [value] if isinstance(value, str) else value
        if not isinstance(texts, (list, tuple)) or not all(isinstance(t, str) for t in texts):
            raise TypeError(
                f'FlipVideo: field {key!r} must be a str or a list of str, got {value!r}'
            )
        swapped = [self._swap(t) for t in texts]
        return swapped[0] if isinstance(value, str) else swapped

    def transform(self, results: Dict[str, Any]) -> Dict[str, Any]:
        flip = bool(np.random.rand() < self.prob)
        results['flipped'] = flip
        if flip:
            results['imgs'] = np.ascontiguousarray(results['imgs'][:, :, ::-1])
            for key in self.keys:
                if key in results:
                    results[key] = self._swap_field(key, results[key])
        return results
