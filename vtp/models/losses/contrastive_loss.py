"""Symmetric InfoNCE between paired video and text embeddings (CLIP, https://arxiv.org/abs/2103.00020)."""

from typing import Optional, Tuple

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

    def logits(
        self, video_embed: torch.Tensor, text_embed: torch.Tensor, logit_scale: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Scaled similarities of the local pairs with the global batch, in fp32.

        Computed in fp32 whatever the autocast state: bf16 rounds a cosine in [0.5, 1) to a
        multiple of 2^-9, an error of up to 0.1 in a logit at an inverse temperature of 100.

        Args:
            video_embed: (B, D) L2-normalised local video embeddings.
            text_embed: (B, D) L2-normalised local text embeddings, row i paired with video i.
            logit_scale: () inverse temperature (already exponentiated).

        Returns:
            logits_v2t: (B, W*B) fp32 logits of each local video against every text.
            logits_t2v: (B, W*B) fp32 logits of each local text against every video.
        """
        with torch.autocast(video_embed.device.type, enabled=False):
            video_embed, text_embed = video_embed.float(), text_embed.float()
            all_video = all_gather_with_grad(video_embed)  # (W*B, D)
            all_text = all_gather_with_grad(text_embed)  # (W*B, D)
            scale = logit_scale.float()
            return scale * video_embed @ all_text.t(), scale * text_embed @ all_video.t()

    def forward(
        self,
        video_embed: torch.Tensor,
        text_embed: torch.Tensor,
        logit_scale: torch.Tensor,
        clip_ids: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        """Compute the loss (in fp32, see :meth:`logits`).

        Args:
            video_embed: (B, D) L2-normalised local video embeddings.
            text_embed: (B, D) L2-normalised local text embeddings, row i paired with video i.
            logit_scale: () inverse temperature (already exponentiated).
            clip_ids: (B,) identity of each pair's clip; None treats all pairs as distinct.

        Returns:
            () the weighted fp32 loss.
        """
        logits_v2t, logits_t2v = self.logits(video_embed, text_embed, logit_scale)  # (B, W*B)
        batch = video_embed.shape[0]
        if clip_ids is None:
            targets = torch.arange(batch, device=video_embed.device) + get_rank() * batch
        else:
            same = clip_ids[:, None] == all_gather_no_grad(clip_ids)[None]  # (B, W*B)
            targets = same.float() / same.sum(1, keepdim=True)
        loss = (F.cross_entropy(logits_v2t, targets) + F.cross_entropy(logits_t2v, targets)) / 2
        return self.loss_weight * loss
