"""mmaction2's Video Swin window attention, run through ``F.scaled_dot_product_attention``.

mmaction2's ``WindowAttention3D`` forms the full ``softmax(q k^T * scale + bias + mask) v`` by
hand; this subclass keeps its parameters, buffers and state-dict keys and hands the same
computation to PyTorch's fused attention kernels, with the relative-position bias and the
shifted-window mask as one additive ``attn_mask`` that broadcasts over the clips of a batch.
"""

import warnings
from typing import Optional

import torch
import torch.nn.functional as F

with warnings.catch_warnings():
    # mmcv-lite has no compiled ops; mmaction2 warns about one it never uses here.
    warnings.simplefilter('ignore', UserWarning)
    from mmaction.models.backbones.swin import WindowAttention3D


class FusedWindowAttention3D(WindowAttention3D):
    """Window multi-head self-attention with relative-position bias, on fused kernels.

    Same constructor, parameters and outputs as mmaction2's ``WindowAttention3D``; attention
    dropout is SDPA's ``dropout_p`` (the module's ``attn_drop.p``, in training only).
    """

    @classmethod
    def from_window_attention(cls, attention: WindowAttention3D) -> 'FusedWindowAttention3D':
        """A fused copy of ``attention``: same settings, same weights."""
        fused = cls(
            embed_dims=attention.embed_dims,
            window_size=attention.window_size,
            num_heads=attention.num_heads,
            qkv_bias=attention.qkv.bias is not None,
            qk_scale=attention.scale,
            attn_drop=attention.attn_drop.p,
            proj_drop=attention.proj_drop.p,
        )
        fused.load_state_dict(attention.state_dict())
        return fused

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Attend within each window.

        Args:
            x: (B * nW, N, C) the N tokens of each window; the nW windows of a clip are
                consecutive (mmaction2's ``window_partition`` order).
            mask: (nW, N, N) additive shifted-window mask (0 or -100), or None for the
                blocks without shift.

        Returns:
            (B * nW, N, C) attended tokens after the output projection.
        """
        windows, length, dims = x.shape
        heads = self.num_heads
        qkv = self.qkv(x).reshape(windows, length, 3, heads, dims // heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # (B * nW, h, N, C / h) each
        index = self.relative_position_index[:length, :length].reshape(-1)
        bias = self.relative_position_bias_table[index].reshape(length, length, heads)
        bias = bias.permute(2, 0, 1).contiguous()  # (h, N, N); fused CUDA kernels need stride 1
        if mask is None:
            attn_mask = bias.unsqueeze(0)  # (1, h, N, N), broadcast over all windows
        else:
            num_windows = mask.shape[0]
            # the windows of a clip side by side with the heads: (B, nW * h, N, C / h), so the
            # per-window mask broadcasts over the clips instead of being copied for each
            q, k, v = (
                t.reshape(windows // num_windows, num_windows * heads, length, -1)
                for t in (q, k, v)
            )
            attn_mask = bias.unsqueeze(0) + mask.unsqueeze(1)  # (nW, h, N, N)
            attn_mask = attn_mask.reshape(1, num_windows * heads, length, length)
        out = F.scaled_dot_product_attention(
            q,
            k,
            v,
            attn_mask=attn_mask.to(q.dtype),
            dropout_p=self.attn_drop.p if self.training else 0.0,
            scale=self.scale,
        )
        out = out.reshape(windows, heads, length, -1).transpose(1, 2)  # (B * nW, N, h, C / h)
        return self.proj_drop(self.proj(out.reshape(windows, length, dims)))  # type: ignore[no-any-return]
