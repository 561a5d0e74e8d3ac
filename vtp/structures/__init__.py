from .video_text_features import VideoTextFeatures

__all__ = ['VideoTextFeatures']
