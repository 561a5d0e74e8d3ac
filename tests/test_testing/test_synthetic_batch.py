"""``synthetic_batch``: random packed samples that the data preprocessor batches as real ones."""

import torch

from vtp.models.data_preprocessors import VideoTextDataPreprocessor
from vtp.testing import synthetic_batch


def test_captions_are_padded_and_masked_like_real_ones():
    data = VideoTextDataPreprocessor()(synthetic_batch(8, 3, 16, length=12), training=True)
    inputs = data['inputs']
    assert inputs['video'].shape == (8, 3, 3, 16, 16)
    ids, mask, labels = inputs['input_ids'], inputs['attention_mask'], inputs['mlm_labels']
    assert ids.shape == mask.shape == labels.shape == (8, 12)
    lengths = mask.sum(1)
    assert mask.equal((torch.arange(12)[None] < lengths[:, None]).long())  # right padding
    assert lengths.min() >= 3 and len(set(lengths.tolist())) > 1
    assert (ids[:, 0] == 101).all() and (ids[torch.arange(8), lengths - 1] == 102).all()
    assert (ids[mask == 0] == 0).all()
    masked = labels != -100
    assert masked.any(1).all() and (mask[masked] == 1).all()
    assert (inputs['mlm_input_ids'][masked] == 103).all() and labels[masked].equal(ids[masked])
    assert inputs['clip_ids'].tolist() == list(range(8))
