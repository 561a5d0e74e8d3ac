from .bert_text_encoder import BertTextEncoder
from .video_swin_encoder import VideoSwinEncoder

__all__ = ['BertTextEncoder', 'VideoSwinEncoder']
