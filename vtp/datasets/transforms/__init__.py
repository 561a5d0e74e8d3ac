from .base_square_crop import BaseSquareCrop
from .center_crop import CenterCrop
from .decode_video import DecodeVideo
from .flip_video import FlipVideo
from .load_image import LoadImage
from .mask_tokens import MaskTokens
from .open_video import OpenVideo
from .pack_video_text_inputs import PackVideoTextInputs
from .random_crop import RandomCrop
from .resize import Resize
from .sample_frames import SampleFrames
from .tokenize_text import TokenizeText

__all__ = [
    'BaseSquareCrop',
    'CenterCrop',
    'DecodeVideo',
    'FlipVideo',
    'LoadImage',
    'MaskTokens',
    'OpenVideo',
    'PackVideoTextInputs',
    'RandomCrop',
    'Resize',
    'SampleFrames',
    'TokenizeText',
]
