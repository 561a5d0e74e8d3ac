"""Video-text contrastive (VTC) head: symmetric InfoNCE with a learnable temperature."""

import math
from typing import Any, Dict, List, Optional

import torch
from mmengine.model import BaseModule
from torch import nn

from vtp.registry import MODELS
from vtp.structures import VideoTextDataSample, VideoTextFeatures


@MODELS.register_module()
class ITCHead(BaseModule):
    """Contrastive alignment of the joint video and text embeddings.

    The temperature is an fp32 parameter, and the loss computes the scaled similarities and
    their log-softmax in fp32 under autocast too (:meth:`InfoNCELoss.logits`).

    Args:
        temperature: initial softmax temperature.
        learnable_temperature: learn the temperature (as a log inverse temperature).
        max_logit_scale: upper clamp of the inverse temperature.
        loss: config of the contrastive loss.
        init_cfg: mmengine init config.
    """

    def __init__(
        self,
        temperature: float = 0.07,
        learnable_temperature: bool = True,
        max_logit_scale: float = 100.0,
        loss: Dict[str, Any] = dict(type='InfoNCELoss'),
        init_cfg: Optional[Dict[str, Any]] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        log_scale = torch.tensor(math.log(1.0 / temperature))
        if learnable_temperature:
            self.log_logit_scale = nn.Parameter(log_scale)
        else:
            self.register_buffer('log_logit_scale', log_scale)
        self.max_logit_scale = max_logit_scale
        self.loss_module = MODELS.build(loss)

    @property
    def logit_scale(self) -> torch.Tensor:
        """() inverse temperature, clamped to ``max_logit_scale``."""
        return self.log_logit_scale.exp().clamp(max=self.max_logit_scale)

    def loss(
        self, feats: VideoTextFeatures, data_samples: List[VideoTextDataSample]
    ) -> Dict[str, torch.Tensor]:
        """Returns ``loss_itc`` and the diagnostic ``logit_scale``."""
        feats.require_pairs('ITCHead')
        scale = self.logit_scale
        loss = self.loss_module(
            feats.video_embed, feats.text_embed, scale, feats.inputs.get('clip_ids')
        )
        return dict(loss_itc=loss, logit_scale=scale.detach())
