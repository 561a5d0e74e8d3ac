from .video_text_pretrainer import VideoTextPretrainer

__all__ = ['VideoTextPretrainer']
