from .bert_fusion import BertFusion
from .concat_fusion import ConcatFusion
from .cross_attention_fusion import CrossAttentionFusion

__all__ = ['BertFusion', 'ConcatFusion', 'CrossAttentionFusion']
