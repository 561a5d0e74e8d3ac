"""Tokenise captions with a Hugging Face tokenizer."""

from typing import Any, Dict

import numpy as np
from mmcv.transforms import BaseTransform

from vtp.datasets.sample_error import SampleError
from vtp.registry import TRANSFORMS
from vtp.utils.pretrained import load_tokenizer


@TRANSFORMS.register_module()
class TokenizeText(BaseTransform):
    """Tokenise ``text`` (one caption or several) to fixed-length ids.

    With several captions, training (``sample_one=True``) keeps one drawn at random per visit;
    testing keeps them all (every caption is a retrieval query). When the one caption kept is
    empty, :class:`SampleError` is raised (in training the dataset replaces the sample); of
    several captions all kept, an empty one stays the empty query it is (scored as the model
    scores no words), so one bad caption of a test clip never takes the clip and its other
    captions out of the test set.

    **Required Keys:** ``text`` (str or list of str)

    **Modified Keys:** ``text`` (the caption(s) kept)

    **Added Keys:** ``input_ids`` (K, L) int64, ``attention_mask`` (K, L) int64

    Args:
        tokenizer: tokenizer name (local dir, hub name or ``pkg://module``).
        max_length: L; longer captions are truncated, shorter ones padded.
        sample_one: keep one random caption of several.
    """

    def __init__(self, tokenizer: str, max_length: int = 32, sample_one: bool = False) -> None:
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.sample_one = sample_one

    def transform(self, results: Dict[str, Any]) -> Dict[str, Any]:
        text = results['text']
        captions = [text] if isinstance(text, str) else list(text)
        if self.sample_one and len(captions) > 1:
            captions = [captions[np.random.randint(len(captions))]]
        if len(captions) == 1 and not captions[0].strip():
            raise SampleError(results.get('filename', '<text>'), 'empty caption')
        encoded = load_tokenizer(self.tokenizer)(
            captions,
            padding='max_length',
            truncation=True,
            max_length=self.max_length,
            return_tensors='np',
        )
        results['text'] = captions[0] if isinstance(text, str) or self.sample_one else captions
        results['input_ids'] = encoded['input_ids'].astype(np.int64)
        results['attention_mask'] = encoded['attention_mask'].astype(np.int64)
        return results
