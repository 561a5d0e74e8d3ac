"""BERT-style token masking for masked language modelling."""

from typing import Any, Dict

import numpy as np
from mmcv.transforms import BaseTransform

from vtp.registry import TRANSFORMS
from vtp.utils.pretrained import load_tokenizer


@TRANSFORMS.register_module()
class MaskTokens(BaseTransform):
    """Choose ``mask_prob`` of the real (non-special, non-padding) tokens as MLM targets.

    A chosen token becomes [MASK] with probability 0.8, a random vocabulary token with 0.1,
    and stays with 0.1 (BERT). Every caption with a real token gets at least one target. The
    unmasked ``input_ids`` stay for the contrastive and matching objectives.

    **Required Keys:** ``input_ids`` (K, L), ``attention_mask`` (K, L)

    **Added Keys:** ``mlm_input_ids`` (K, L), ``mlm_labels`` (K, L) (-100 where not a target)

    Args:
        tokenizer: the tokenizer that made ``input_ids`` (for [MASK], special ids, vocab size).
        mask_prob: share of real tokens chosen.
    """

    def __init__(self, tokenizer: str, mask_prob: float = 0.15) -> None:
        self.tokenizer = tokenizer
        self.mask_prob = mask_prob

    def transform(self, results: Dict[str, Any]) -> Dict[str, Any]:
        tok = load_tokenizer(self.tokenizer)
        ids = results['input_ids']
        real = (results['attention_mask'] == 1) & ~np.isin(ids, tok.all_special_ids)
        chosen = real & (np.random.rand(*ids.shape) < self.mask_prob)
        for row in np.flatnonzero(real.any(1) & ~chosen.any(1)):
            chosen[row, np.random.choice(np.flatnonzero(real[row]))] = True
        draw = np.random.rand(*ids.shape)
        masked = ids.copy()
        masked[chosen & (draw < 0.8)] = tok.mask_token_id
        randomised = chosen & (draw >= 0.8) & (draw < 0.9)
        masked[randomised] = np.random.randint(len(tok), size=int(randomised.sum()))
        results['mlm_input_ids'] = masked
        results['mlm_labels'] = np.where(chosen, ids, -100)
        return results
