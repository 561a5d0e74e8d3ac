from .predict_settings import DEFAULT_TASK, TASK_KEYS, PredictSettings
from .video_text_data_sample import FIELDS, INPUT_KEYS, META_FIELDS, VideoTextDataSample
from .video_text_features import VideoTextFeatures

__all__ = [
    'DEFAULT_TASK',
    'FIELDS',
    'INPUT_KEYS',
    'META_FIELDS',
    'TASK_KEYS',
    'PredictSettings',
    'VideoTextDataSample',
    'VideoTextFeatures',
]
