"""Video encoder on mmaction2's Video Swin Transformer.

Video Swin Transformer (https://arxiv.org/abs/2106.13230); the backbone is mmaction2's
``SwinTransformer3D``, used as is. This wrapper adds named sizes for tests, safe checkpoint
loading (mmaction2 recognizer checkpoints and 2D Swin checkpoints inflated to 3D), images as
static videos, and a token / pooled output that the rest of vtp consumes.
"""

import warnings
from typing import Any, Dict, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.logging import MMLogger
from mmengine.model import BaseModule

from vtp.models.layers import FusedWindowAttention3D
from vtp.models.utils import QuietInitMixin, checkpoint_modules, compile_module
from vtp.registry import MODELS
from vtp.utils.pretrained import load_state_dict

with warnings.catch_warnings():
    # mmcv-lite has no compiled ops; mmaction2 warns about one it never uses here.
    warnings.simplefilter('ignore', UserWarning)
    from mmaction.models.backbones.swin import SwinTransformer3D

# Sizes for tests and toy data; 'tiny', 'small', 'base', 'large' keep their Swin-T/S/B/L meaning.
EXTRA_ARCHS = {
    'toy': dict(embed_dims=32, depths=[1, 1], num_heads=[2, 2]),
}


@MODELS.register_module()
class VideoSwinEncoder(QuietInitMixin, BaseModule):
    """Video Swin encoder returning visual tokens and a pooled embedding.

    Args:
        arch: ``'tiny'``, ``'small'``, ``'base'``, ``'large'`` (Swin-T/S/B/L), ``'toy'`` (two
            stages of width 32 for tests) or a dict with ``embed_dims``, ``depths``, ``num_heads``.
        pretrained: optional checkpoint: an mmaction2 recognizer checkpoint (keys prefixed with
            ``backbone.``), a vtp model (``video_encoder.backbone.``), a bare
            ``SwinTransformer3D`` state dict, or a 2D Swin checkpoint (its
            ``patch_embed.proj.weight`` is 4-D), which is inflated to 3D as mmaction2 does.
            ``.safetensors`` or a torch file, loaded weights-only.
        patch_size: (t, h, w) patch size.
        window_size: (t, h, w) attention window.
        drop_path_rate: stochastic depth rate.
        fused_attention: window attention on ``F.scaled_dot_product_attention`` (fused
            kernels; the relative-position bias and the shifted-window mask go in as one
            additive mask broadcast over the clips); False runs mmaction2's own attention,
            which forms every (heads, N, N) attention matrix. Same parameters and state-dict
            keys either way.
        checkpointing: recompute each Swin block's activations in backward
            (:func:`~vtp.models.utils.checkpoint_modules`).
        compile: ``torch.compile`` this encoder's forward
            (:func:`~vtp.models.utils.compile_module`).
        init_cfg: mmengine init config.
    """

    def __init__(
        self,
        arch: Union[str, Dict[str, Any]] = 'base',
        pretrained: Optional[str] = None,
        patch_size: Tuple[int, int, int] = (2, 4, 4),
        window_size: Tuple[int, int, int] = (8, 7, 7),
        drop_path_rate: float = 0.1,
        fused_attention: bool = True,
        checkpointing: bool = False,
        compile: Union[bool, Dict[str, Any]] = False,
        init_cfg: Optional[Dict[str, Any]] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        arch = EXTRA_ARCHS.get(arch, arch) if isinstance(arch, str) else arch
        num_stages = len(arch['depths']) if isinstance(arch, dict) else 4
        with warnings.catch_warnings():
            # mmaction2 calls torch.meshgrid without `indexing` (its default is what it means)
            warnings.filterwarnings('ignore', 'torch.meshgrid', UserWarning)
            self.backbone = SwinTransformer3D(
                arch=arch,
                pretrained=None,
                pretrained2d=False,
                patch_size=patch_size,
                window_size=window_size,
                drop_path_rate=drop_path_rate,
                out_indices=(num_stages - 1,),
            )
        self.pretrained = pretrained
        self.temporal_patch = patch_size[0]
        self.embed_dims = self.backbone.num_features[-1]
        blocks = [block for stage in self.backbone.layers for block in stage.blocks]
        if fused_attention:
            for block in blocks:
                block.attn = FusedWindowAttention3D.from_window_attention(block.attn)
        if checkpointing:
            checkpoint_modules(blocks)
        if compile:
            # Dynamo warns, in several lines, that it traces mmaction2's cached shift-mask
            # function (`compute_mask`) instead of calling its cache; the function is pure, so
            # tracing it changes nothing and the warning would only fill the log.
            warnings.filterwarnings(
                'ignore',
                message='Dynamo detected a call to a `functools.lru_cache`-wrapped '
                "function at 'swin.py",
            )
        compile_module(self, compile)

    def init_weights(self) -> None:
        """Random init from mmaction2's scheme, then the checkpoint if one is given."""
        super().init_weights()
        if self.pretrained is not None:
            self.load_pretrained(self.pretrained)

    def load_pretrained(self, path: str) -> None:
        """Load a recognizer, bare 3D, vtp or 2D Swin checkpoint (see class docstring)."""
        state = load_state_dict(path)
        first_keys = list(state)[:3]
        for prefix in ('video_encoder.backbone.', 'backbone.'):
            if any(k.startswith(prefix) for k in state):
                state = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
                break
        if state.get('patch_embed.proj.weight', torch.empty(0, 0, 0, 0, 0)).dim() == 4:
            state = self._inflate_2d(state)
        own = self.backbone.state_dict()
        state = {
            k: v
            for k, v in state.items()
            if 'relative_position_index' not in k and 'attn_mask' not in k
        }
        mismatched = [k for k, v in state.items() if k in own and own[k].shape != v.shape]
        for k in mismatched:
            state.pop(k)
        result = self.backbone.load_state_dict(state, strict=False)
        loaded = len(state) - len(result.unexpected_keys)
        if loaded == 0:
            raise ValueError(
                f'VideoSwinEncoder: no tensor of {path} matches the backbone '
                f'(first keys: {first_keys})'
            )
        missing = [k for k in result.missing_keys if 'relative_position_index' not in k]
        MMLogger.get_current_instance().info(
            f'VideoSwinEncoder: loaded {loaded} tensors from {path}; missing {len(missing)} '
            f'{missing[:5]}, unexpected {len(result.unexpected_keys)} '
            f'{result.unexpected_keys[:5]}, shape-mismatched {len(mismatched)} {mismatched[:5]}'
        )

    def _inflate_2d(self, state: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Inflate a 2D Swin state dict to this 3D backbone.

        The patch embedding (D, 3, h, w) is repeated over t and divided by t, so a static
        video gives the 2D model's features; each 2D relative-position bias table
        ((2Wh-1)(2Ww-1), heads) is resized to this window and tiled over the 2Wt-1 temporal
        offsets; the final ``norm`` becomes this backbone's last stage norm.
        """
        state = dict(state)
        t = self.temporal_patch
        state['patch_embed.proj.weight'] = (
            state['patch_embed.proj.weight'].unsqueeze(2).repeat(1, 1, t, 1, 1) / t
        )
        wt, wh, ww = self.backbone.window_size
        for key in [k for k in state if k.endswith('relative_position_bias_table')]:
            table = state[key]  # ((2Wh'-1)(2Ww'-1), heads)
            side = int(round(table.shape[0] ** 0.5))
            if (side, side) != (2 * wh - 1, 2 * ww - 1):
                grid = table.t().reshape(1, -1, side, side)  # (1, heads, S, S)
                grid = F.interpolate(grid, size=(2 * wh - 1, 2 * ww - 1), mode='bicubic')
                table = grid.reshape(table.shape[1], -1).t()
            state[key] = table.repeat(2 * wt - 1, 1)  # ((2Wt-1)(2Wh-1)(2Ww-1), heads)
        last = len(self.backbone.depths) - 1
        for name in ('weight', 'bias'):
            if f'norm.{name}' in state:
                state[f'norm{last}.{name}'] = state.pop(f'norm.{name}')
        return state

    def forward(self, video: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Encode clips (or images, as static clips).

        Args:
            video: (B, C, T, H, W) clips, or (B, C, H, W) images, normalised.

        Returns:
            tokens: (B, N, D) visual tokens, N = T/2 * H/32 * W/32 for Swin with 4 stages.
            pooled: (B, D) mean of the tokens.
        """
        if video.dim() == 4:
            video = video.unsqueeze(2).expand(-1, -1, self.temporal_patch, -1, -1)
        features = self.backbone(video)  # (B, D, T', H', W')
        tokens = features.flatten(2).transpose(1, 2)  # (B, N, D)
        return tokens, tokens.mean(dim=1)
