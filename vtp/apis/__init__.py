"""Using a trained model: retrieval inferencers and feature extraction on mmengine's
``BaseInferencer``, and the feature shards of ``tools/extract_features.py``."""

from .feature_extractor import FeatureExtractor
from .feature_search import FeatureSearch
from .text_to_video_retrieval_inferencer import TextToVideoRetrievalInferencer
from .video_text_inferencer import TextFeatures, VideoFeatures, VideoTextInferencer
from .video_to_text_retrieval_inferencer import VideoToTextRetrievalInferencer

__all__ = [
    'FeatureExtractor',
    'FeatureSearch',
    'TextFeatures',
    'TextToVideoRetrievalInferencer',
    'VideoFeatures',
    'VideoTextInferencer',
    'VideoToTextRetrievalInferencer',
]
