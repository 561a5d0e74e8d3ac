"""Temporal-order probe: do a clip's captions match it better forwards than played backwards?"""

from typing import Any, Dict, List, Optional, Sequence

import torch
from mmengine.evaluator import BaseMetric

from vtp.registry import METRICS
from vtp.structures import VideoTextDataSample


@METRICS.register_module()
class TemporalOrderMetric(BaseMetric):
    """Share of test clips whose captions match the clip better than the clip played backwards.

    For each clip, the forward score is the mean dot product of its K caption embeddings
    (``text_embeds``, shape (K, D)) with the clip's embedding (``video_embed``, shape (D,)), and
    the reversed score is the same mean with the embedding of the clip played backwards
    (``video_embed_reversed``, shape (D,)). A clip counts as correct only when the forward score
    is strictly higher; ties count as wrong. A model blind to frame order therefore scores 0 when
    its two embeddings tie exactly, and about 50 at most when they differ only by noise. A clip
    that could not be read (``missing``) counts as wrong.

    The output key (with the default prefix) is ``probe/temporal_order_acc``, in percent.

    The model must produce ``video_embed_reversed``: enable the reverse probe in the algorithm's
    test config, ``test_cfg=dict(reverse_probe=True)``.

    Args:
        collect_device (str): Device used to collect results across ranks, ``'cpu'`` or
            ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the metric names; ``default_prefix`` when None.
        collect_dir (str, optional): Directory for collecting results across ranks when
            ``collect_device`` is ``'cpu'``; a temporary one when None.
    """

    default_prefix: Optional[str] = 'probe'

    def __init__(
        self,
        collect_device: str = 'cpu',
        prefix: Optional[str] = None,
        collect_dir: Optional[str] = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)

    def process(self, data_batch: object, data_samples: Sequence[Dict[str, Any]]) -> None:
        """Score each clip forwards and backwards and store whether forwards wins.

        Args:
            data_batch (object): The batch from the dataloader (unused).
            data_samples (Sequence[dict]): The model's outputs, each with ``video_embed`` and
                ``video_embed_reversed`` of shape (D,), ``text_embeds`` of shape (K, D) and
                ``sample_idx``.

        Raises:
            KeyError: If a sample has no ``video_embed_reversed``.

        A readable clip whose forward or reversed score is NaN or infinite (their difference
        is not finite) stops :meth:`compute_metrics` with the count of such clips.
        """
        for sample in map(VideoTextDataSample.from_dict, data_samples):
            if 'video_embed_reversed' not in sample:
                raise KeyError(
                    'TemporalOrderMetric needs `video_embed_reversed` in the data samples; enable '
                    "the reverse probe in the algorithm's test config: "
                    'test_cfg=dict(reverse_probe=True)'
                )
            video_embed = sample.video_embed.detach().float().cpu().flatten()
            reversed_embed = sample.video_embed_reversed.detach().float().cpu().flatten()
            text_embeds = sample.text_embeds.detach().float().cpu()
            text_embeds = text_embeds.reshape(-1, video_embed.numel())
            if len(text_embeds) == 0:
                raise ValueError(f'sample {sample.sample_idx} has no caption embeddings')
            forward_score = (text_embeds @ video_embed).mean()
            reversed_score = (text_embeds @ reversed_embed).mean()
            missing = bool(sample.get('missing', False))
            self.results.append(
                dict(
                    sample_idx=int(sample.sample_idx),
                    correct=bool(forward_score > reversed_score) and not missing,
                    finite=missing or bool(torch.isfinite(forward_score - reversed_score)),
                )
            )

    def compute_metrics(self, results: List[Dict[str, Any]]) -> Dict[str, float]:
        """Compute the temporal-order accuracy.

        Args:
            results (list[dict]): The stored result of every test sample.

        Returns:
            dict[str, float]: ``temporal_order_acc`` in percent (0-100).
        """
        if not results:
            raise ValueError(f'{self.__class__.__name__} got no results to evaluate')
        results = sorted(results, key=lambda r: r['sample_idx'])
        broken = sum(not r['finite'] for r in results)
        if broken:
            raise ValueError(
                f'{broken} of {len(results)} clips have NaN or infinite temporal-order scores '
                '(an infinite score would count as right, a NaN as wrong): the model or its '
                'weights are broken; refusing to score them'
            )
        correct = torch.tensor([r['correct'] for r in results], dtype=torch.float64)
        return dict(temporal_order_acc=float(correct.mean() * 100))
