"""Symmetric InfoNCE between paired video and text embeddings (CLIP, https://arxiv.org/abs/2103.00020)."""

from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from vtp.registry import MODELS
from vtp.utils.dist import all_gather_no_grad, all_gather_with_grad, get_rank


@MODELS.register_module()
class InfoNCELoss(nn.Module):
    """Symmetric InfoNCE over the global batch, gathered across ranks with gradient.

    Each rank scores its B local videos against all W*B texts (and its texts against all
    videos). The positives are the pairs with the same global index and, given ``clip_ids``,
    every other pair of the same clip in the global batch (two captions of one video): the
    target spreads evenly over them (VindLU's ``sim_targets``) instead of pushing the second
    copy away as a negative. With equal local batches
    the mean of the ranks' losses, and the DDP-averaged gradients, equal one process's on the
    whole batch.

    Args:
        loss_weight: factor on the loss.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(
        self,
        video_embed: torch.Tensor,
        text_embed: torch.Tensor,
        logit_scale: torch.Tensor,
        clip_ids: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        """Compute the loss.

        Args:
            video_embed: (B, D) L2-normalised local video embeddings.
            text_embed: (B, D) L2-normalised local text embeddings, row i paired with video i.
            logit_scale: () inverse temperature (already exponentiated).
            clip_ids: (B,) identity of each pair's clip; None treats all pairs as distinct.

        Returns:
            () the weighted loss.
        """
        all_video = all_gather_with_grad(video_embed)  # (W*B, D)
        all_text = all_gather_with_grad(text_embed)  # (W*B, D)
        batch = video_embed.shape[0]
        logits_v2t = logit_scale * video_embed @ all_text.t()  # (B, W*B)
        logits_t2v = logit_scale * text_embed @ all_video.t()  # (B, W*B)
        if clip_ids is None:
            targets = torch.arange(batch, device=video_embed.device) + get_rank() * batch
        else:
            same = clip_ids[:, None] == all_gather_no_grad(clip_ids)[None]  # (B, W*B)
            targets = same.to(logits_v2t.dtype) / same.sum(1, keepdim=True)
        loss = (F.cross_entropy(logits_v2t, targets) + F.cross_entropy(logits_t2v, targets)) / 2
        return self.loss_weight * loss
