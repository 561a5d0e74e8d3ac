"""vtp: video-text pre-training and fine-tuning in the OpenMMLab style."""

__version__ = '0.1.0'
