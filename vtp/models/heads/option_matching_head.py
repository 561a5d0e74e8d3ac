"""The matching head trained on multiple-choice options: pick the true caption among K."""

from typing import Dict, List

import torch

from vtp.models.heads.itm_head import ITMHead
from vtp.registry import MODELS
from vtp.structures import VideoTextDataSample, VideoTextFeatures


@MODELS.register_module()
class OptionMatchingHead(ITMHead):
    """:class:`ITMHead` (same classifier, so it loads a matching head's weights and scores
    options the same way) trained listwise: each clip's K options are fused with it, and a
    cross-entropy over their match margins (``logit(match) - logit(no match)``) pushes the
    true option (the data sample's ``label``) above the others, the wrong options acting as
    hard negatives that differ from the truth in one detail.

    Batches hold K_i texts per clip (``inputs['text_counts']``), as a multiple-choice dataset
    in training mode gives them.
    """

    def loss(
        self, feats: VideoTextFeatures, data_samples: List[VideoTextDataSample]
    ) -> Dict[str, torch.Tensor]:
        """Returns ``loss_option`` and the diagnostic ``acc_option`` (percent)."""
        counts = feats.inputs['text_counts'].to(feats.video_tokens.device)
        owner = torch.repeat_interleave(
            torch.arange(len(counts), device=counts.device), counts
        )  # (sum K,) the clip of each option
        fused = feats.fuse(feats.text_tokens, feats.text_mask, feats.video_tokens[owner])[
            :, 0
        ]  # (sum K, D)
        margins = torch.split(
            self.match_margin(fused).float(), counts.tolist()
        )  # fp32 under autocast
        answers = [int(s.label) for s in data_samples]
        losses = [-margin.log_softmax(0)[answer] for margin, answer in zip(margins, answers)]
        correct = [int(margin.argmax()) == answer for margin, answer in zip(margins, answers)]
        acc = torch.tensor(100.0 * sum(correct) / len(correct))
        return dict(
            loss_option=self.loss_module.loss_weight * torch.stack(losses).mean(), acc_option=acc
        )
