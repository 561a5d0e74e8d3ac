"""CNVid-3.5M: Chinese narrated videos with ASR captions, read like HowTo100M."""

from typing import Any

from vtp.datasets.howto100m_dataset import HowTo100MDataset
from vtp.registry import DATASETS


@DATASETS.register_module()
class CNVidDataset(HowTo100MDataset):
    """CNVid-3.5M (https://arxiv.org/abs/2305.02614) ASR captions.

    The same layout as HowTo100M (``{video_id: {start, end, text}}``, or JSON lines), with
    Chinese text: a window's segments are joined without spaces, and the configs tokenise
    with a Chinese BERT vocabulary (``bert-base-chinese``, 21128 tokens).

    Args:
        text_separator: joins the text of a window's segments (none for Chinese).
        **kwargs: :class:`HowTo100MDataset` arguments.
    """

    def __init__(self, *args: Any, text_separator: str = '', **kwargs: Any) -> None:
        super().__init__(*args, text_separator=text_separator, **kwargs)
