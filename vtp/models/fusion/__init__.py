from .base_transformer_fusion import BaseTransformerFusion
from .bert_fusion import BertFusion
from .concat_fusion import ConcatFusion
from .cross_attention_fusion import CrossAttentionFusion

__all__ = ['BaseTransformerFusion', 'BertFusion', 'ConcatFusion', 'CrossAttentionFusion']
