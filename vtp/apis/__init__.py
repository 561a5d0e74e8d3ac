"""Using a trained model: retrieval, question-answering and multiple-choice inferencers and
feature extraction on mmengine's
``BaseInferencer``, and the feature shards of ``tools/extract_features.py``."""

from .feature_extractor import FeatureExtractor
from .feature_search import FeatureSearch
from .multiple_choice_inferencer import MultipleChoiceInferencer
from .text_to_video_retrieval_inferencer import TextToVideoRetrievalInferencer
from .video_qa_inferencer import VideoQAInferencer
from .video_question_inferencer import VideoQuestionInferencer
from .video_text_inferencer import TextFeatures, VideoFeatures, VideoTextInferencer
from .video_to_text_retrieval_inferencer import VideoToTextRetrievalInferencer

__all__ = [
    'FeatureExtractor',
    'FeatureSearch',
    'MultipleChoiceInferencer',
    'TextFeatures',
    'TextToVideoRetrievalInferencer',
    'VideoFeatures',
    'VideoQAInferencer',
    'VideoQuestionInferencer',
    'VideoTextInferencer',
    'VideoToTextRetrievalInferencer',
]
