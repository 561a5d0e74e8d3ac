from .concat_fusion import ConcatFusion
from .cross_attention_fusion import CrossAttentionFusion

__all__ = ['ConcatFusion', 'CrossAttentionFusion']
