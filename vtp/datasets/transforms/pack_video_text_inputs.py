"""Pack a processed sample into model inputs and a data sample."""

import hashlib
import unicodedata
from typing import Any, Dict, Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from vtp.registry import TRANSFORMS
from vtp.structures import INPUT_KEYS, META_FIELDS, VideoTextDataSample


def clip_identity(results: Dict[str, Any]) -> int:
    """A stable int64 identity of the sample's clip: its ``identity`` field when the dataset
    gives one (what the clip shows, in a corpus whose clips repeat one another), else its
    media file and time window (the sample index when there is no file). Two samples of the
    same clip (two captions of one video in one batch) share it, so losses can tell them apart
    from true negatives. Identities are compared in Unicode normal form NFC, so one text
    written with composed or decomposed accents is one identity."""
    if 'identity' in results:
        identity = results['identity']
        if not isinstance(identity, str) or not identity:
            raise ValueError(f"a sample's identity must be a non-empty str, got {identity!r}")
        name = f'identity|{unicodedata.normalize("NFC", identity)}'
    elif 'filename' in results:
        name = f'{results["filename"]}|{results.get("start")}|{results.get("end")}'
    else:
        name = f'sample {results.get("sample_idx")}'
    digest = hashlib.blake2b(name.encode('utf-8', 'surrogatepass'), digest_size=8).digest()
    return int.from_bytes(digest, 'little', signed=True)


@TRANSFORMS.register_module()
class PackVideoTextInputs(BaseTransform):
    """Collect frames and token tensors as ``inputs`` and the annotation as a data sample.

    **Required Keys:** ``imgs`` (T, H, W, 3) uint8, ``input_ids``, ``attention_mask``

    **Added Keys:** ``inputs`` (dict of tensors: ``video`` (T, H, W, 3) uint8, ``clip_id`` ()
    int64 (:func:`clip_identity`) and any of :data:`~vtp.structures.INPUT_KEYS` (K, L)),
    ``data_samples`` (:class:`VideoTextDataSample` holding every annotation field of
    :data:`~vtp.structures.FIELDS` present in the results: ids, texts, answers, labels, ...)

    Args:
        meta_keys: extra result keys, beyond the known fields, copied into the data sample's
            metainfo when present (for a user's own metric or hook).
    """

    def __init__(self, meta_keys: Sequence[str] = ()) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: Dict[str, Any]) -> Dict[str, Any]:
        inputs = dict(
            video=torch.from_numpy(np.ascontiguousarray(results['imgs'])),
            clip_id=torch.tensor(clip_identity(results)),
        )
        for key in INPUT_KEYS:
            if key in results:
                inputs[key] = torch.from_numpy(results[key])
        metainfo = {k: results[k] for k in META_FIELDS + self.meta_keys if k in results}
        return dict(inputs=inputs, data_samples=VideoTextDataSample(metainfo=metainfo))
