from .annotation import AnnotationError
from .base_video_text_dataset import BaseVideoTextDataset
from .cc3m_dataset import CC3MDataset
from .cnvid_dataset import CNVidDataset
from .coco_caption_dataset import CocoCaptionDataset
from .didemo_dataset import DiDeMoDataset
from .howto100m_dataset import HowTo100MDataset
from .mixed_dataset import MixedDataset
from .msrvtt_dataset import MSRVTTDataset
from .msvd_dataset import MSVDDataset
from .multiple_choice_dataset import MultipleChoiceDataset
from .sample_error import SampleError
from .samplers import *  # noqa: F401,F403
from .transforms import *  # noqa: F401,F403
from .vatex_dataset import VATEXDataset
from .video_qa_dataset import VideoQADataset
from .video_text_json_dataset import VideoTextJsonDataset
from .video_text_shard_dataset import VideoTextShardDataset
from .visual_genome_dataset import VisualGenomeDataset
from .webvid_dataset import WebVidDataset

__all__ = [
    'AnnotationError',
    'BaseVideoTextDataset',
    'CC3MDataset',
    'CNVidDataset',
    'CocoCaptionDataset',
    'DiDeMoDataset',
    'HowTo100MDataset',
    'MixedDataset',
    'MSRVTTDataset',
    'MSVDDataset',
    'MultipleChoiceDataset',
    'SampleError',
    'VATEXDataset',
    'VideoQADataset',
    'VideoTextJsonDataset',
    'VideoTextShardDataset',
    'VisualGenomeDataset',
    'WebVidDataset',
]
