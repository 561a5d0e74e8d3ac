"""Batch video-text samples: normalise frames to (B, C, T, H, W) and stack token ids."""

from typing import Any, Dict, Optional, Sequence

import torch
from mmengine.dist import all_reduce
from mmengine.model import BaseDataPreprocessor

from vtp.registry import MODELS
from vtp.structures import INPUT_KEYS


@MODELS.register_module()
class VideoTextDataPreprocessor(BaseDataPreprocessor):
    """Turn the collated list of packed samples into model inputs on the right device.

    After ``pseudo_collate``, ``inputs`` maps each key to a list over the batch: ``video``
    (T, H, W, C) uint8 and text tensors of shape (K_i, L) (K_i captions; 1 in training). The
    output ``inputs`` dict holds ``video``
    (B, C, T, H, W) float, normalised; each text key as (sum K_i, L); ``text_counts`` (B,)
    (when the samples carry text); and ``clip_ids`` (B,), each clip's identity (samples of the
    same clip share it).

    In training, the text tensors lose the trailing columns that are padding in every caption
    of the batch (``trim_padding``): a batch of short captions then costs the text encoder and
    the fusion what its longest caption needs, not the tokenizer's ``max_length``. The result is
    the same, as real tokens never attend to padding; in distributed training every rank keeps
    the longest length of all ranks (the matching head gathers tokens across them).
    Evaluation keeps the full length, so that the tokens of every batch stack.

    Args:
        mean: per-channel mean on the 0-255 scale.
        std: per-channel standard deviation on the 0-255 scale.
        non_blocking: copy to the device asynchronously.
        trim_padding: drop all-padding trailing token columns in training.
    """

    def __init__(
        self,
        mean: Sequence[float] = (123.675, 116.28, 103.53),
        std: Sequence[float] = (58.395, 57.12, 57.375),
        non_blocking: Optional[bool] = False,
        trim_padding: bool = True,
    ) -> None:
        super().__init__(non_blocking=non_blocking)
        self.trim_padding = trim_padding
        self.register_buffer('mean', torch.tensor(mean).view(1, -1, 1, 1, 1), persistent=False)
        self.register_buffer('std', torch.tensor(std).view(1, -1, 1, 1, 1), persistent=False)

    def forward(self, data: Dict[str, Any], training: bool = False) -> Dict[str, Any]:
        """``{'inputs': {key: [per-sample tensor]}, 'data_samples': [...]}`` -> batched tensors."""
        batch = data['inputs']
        video = torch.stack(batch['video'])  # (B, T, H, W, C) uint8
        video = video.to(self.device, non_blocking=self._non_blocking)
        video = video.permute(0, 4, 1, 2, 3).float()  # (B, C, T, H, W)
        inputs = dict(video=(video - self.mean) / self.std)
        texts = {key: torch.cat(batch[key]) for key in INPUT_KEYS if key in batch}  # (sum K, L)
        if training and self.trim_padding and 'attention_mask' in texts:
            length = self._text_length(texts['attention_mask'])
            texts = {key: value[:, :length] for key, value in texts.items()}
        inputs.update({key: value.to(self.device) for key, value in texts.items()})
        if 'input_ids' in batch:  # absent from clips read without text (feature extraction)
            inputs['text_counts'] = torch.tensor([len(ids) for ids in batch['input_ids']])
        if 'clip_id' in batch:
            inputs['clip_ids'] = torch.stack(batch['clip_id']).to(self.device)
        return dict(inputs=inputs, data_samples=self.cast_data(data.get('data_samples')))

    @staticmethod
    def _text_length(attention_mask: torch.Tensor) -> int:
        """One past the last column where a caption has a real token (the longest over all
        ranks in distributed training); at least 1."""
        real = attention_mask.any(dim=0).nonzero()  # (columns, 1); collated, still on the CPU
        length = torch.tensor(int(real[-1]) + 1 if len(real) else 1)
        all_reduce(length, op='max')  # nothing to reduce in a single process
        return int(length)
