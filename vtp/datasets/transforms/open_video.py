"""Open a video file with decord."""
from typing import Dict

from mmcv.transforms import BaseTransform

from vtp.registry import TRANSFORMS


@TRANSFORMS.register_module()
class OpenVideo(BaseTransform):
    """Open ``filename`` with ``decord.VideoReader`` (inside the dataloader worker).

    **Required Keys:** ``filename``

    **Added Keys:** ``video_reader``, ``total_frames``, ``avg_fps``

    Args:
        num_threads: decoder threads per reader.
    """

    def __init__(self, num_threads: int = 1) -> None:
        self.num_threads = num_threads

    def transform(self, results: Dict) -> Dict:
        import decord
        reader = decord.VideoReader(results['filename'], num_threads=self.num_threads)
        results['video_reader'] = reader
        results['total_frames'] = len(reader)
        results['avg_fps'] = reader.get_avg_fps()
        return results
