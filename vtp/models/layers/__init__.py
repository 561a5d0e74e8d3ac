from .fused_window_attention_3d import FusedWindowAttention3D
from .transformer_block import TransformerBlock

__all__ = ['FusedWindowAttention3D', 'TransformerBlock']
