from .video_text_data_preprocessor import VideoTextDataPreprocessor

__all__ = ['VideoTextDataPreprocessor']
