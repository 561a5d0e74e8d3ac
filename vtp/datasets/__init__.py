from .annotation import AnnotationError
from .base_video_text_dataset import BaseVideoTextDataset
from .samplers import *  # noqa: F401,F403
from .transforms import *  # noqa: F401,F403
from .video_text_json_dataset import VideoTextJsonDataset
from .webvid_dataset import WebVidDataset

__all__ = ['AnnotationError', 'BaseVideoTextDataset', 'VideoTextJsonDataset', 'WebVidDataset']
