"""Pack a processed sample into model inputs and a data sample."""
from typing import Dict, Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import BaseDataElement

from vtp.registry import TRANSFORMS

INPUT_KEYS = ('input_ids', 'attention_mask', 'mlm_input_ids', 'mlm_labels')


@TRANSFORMS.register_module()
class PackVideoTextInputs(BaseTransform):
    """Collect frames and token tensors as ``inputs`` and the rest as data-sample metainfo.

    **Required Keys:** ``imgs`` (T, H, W, 3) uint8, ``input_ids``, ``attention_mask``

    **Added Keys:** ``inputs`` (dict of tensors: ``video`` (T, H, W, 3) uint8 and any of
    ``input_ids``, ``attention_mask``, ``mlm_input_ids``, ``mlm_labels`` (K, L)),
    ``data_samples`` (``BaseDataElement`` with ``meta_keys`` as metainfo)

    Args:
        meta_keys: result keys copied into the data sample's metainfo when present.
    """

    def __init__(self, meta_keys: Sequence[str] = ('sample_idx', 'video_id', 'text',
                                                   'filename')) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: Dict) -> Dict:
        inputs = dict(video=torch.from_numpy(np.ascontiguousarray(results['imgs'])))
        for key in INPUT_KEYS:
            if key in results:
                inputs[key] = torch.from_numpy(results[key])
        metainfo = {k: results[k] for k in self.meta_keys if k in results}
        return dict(inputs=inputs, data_samples=BaseDataElement(metainfo=metainfo))
