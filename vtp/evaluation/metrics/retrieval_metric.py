"""Text-to-video and video-to-text retrieval metrics (R@k, median and mean rank).

The ranking code is kept in module-level functions that take a similarity matrix, so it can be
tested and reused without the mmengine evaluation machinery.
"""

from collections import abc
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from torch import Tensor

from vtp.registry import METRICS
from vtp.structures import VideoTextDataSample


def _check_inputs(sim: Tensor, text_to_video: Tensor) -> None:
    """Check that ``sim`` and ``text_to_video`` describe the same captions and videos."""
    if sim.dim() != 2:
        raise ValueError(f'sim must be 2-D (num_texts, num_videos), got shape {tuple(sim.shape)}')
    if text_to_video.shape != (sim.shape[0],):
        raise ValueError(
            f'text_to_video must have shape ({sim.shape[0]},), got {tuple(text_to_video.shape)}'
        )
    if text_to_video.numel() and (text_to_video.min() < 0 or text_to_video.max() >= sim.shape[1]):
        raise ValueError(f'text_to_video must index videos in [0, {sim.shape[1]})')


def t2v_ranks(sim: Tensor, text_to_video: Tensor) -> Tensor:
    """Rank of each caption's own video among all videos (pessimistic on ties).

    Args:
        sim (Tensor): Caption-video similarities, shape (num_texts, num_videos).
        text_to_video (Tensor): Long tensor of shape (num_texts,), the index of the video that
            each caption describes.

    Returns:
        Tensor: Long tensor of shape (num_texts,) with 1-based ranks: the number of videos
        whose score is >= the score of the caption's own video.
    """
    _check_inputs(sim, text_to_video)
    correct = sim.gather(1, text_to_video.long().unsqueeze(1))
    return (sim >= correct).sum(dim=1)


def v2t_ranks(sim: Tensor, text_to_video: Tensor) -> Tensor:
    """Rank of each video's best caption among all captions (pessimistic on ties).

    A video's rank is ``1 + n`` where ``n`` counts the captions of *other* videos that score >=
    the video's best-scoring own caption; its other own captions never push it down. This is
    the smallest rank over its own captions, each ranked only against other videos' captions.

    Args:
        sim (Tensor): Caption-video similarities, shape (num_texts, num_videos).
        text_to_video (Tensor): Long tensor of shape (num_texts,), the index of the video that
            each caption describes. Every video needs at least one caption.

    Returns:
        Tensor: Long tensor of shape (num_videos,) with 1-based ranks.
    """
    _check_inputs(sim, text_to_video)
    num_videos = sim.shape[1]
    text_to_video = text_to_video.long()
    num_captions = torch.bincount(text_to_video, minlength=num_videos)
    if bool((num_captions == 0).any()):
        missing = torch.nonzero(num_captions == 0).flatten().tolist()
        raise ValueError(
            f'v2t ranks need at least one caption per video; videos {missing} have none'
        )
    own_scores = sim.gather(1, text_to_video.unsqueeze(1)).squeeze(1)
    best = torch.full((num_videos,), float('-inf'), dtype=sim.dtype, device=sim.device)
    best = best.scatter_reduce(0, text_to_video, own_scores, reduce='amax')
    # Captions scoring >= the best own caption, minus the own captions among them.
    at_least_best = (sim >= best.unsqueeze(0)).sum(dim=0)
    own_at_best = torch.bincount(
        text_to_video[own_scores >= best[text_to_video]], minlength=num_videos
    )
    return 1 + at_least_best - own_at_best


def rank_summary(
    ranks: Tensor, topk: Sequence[int], prefix: str, misses: Optional[Tensor] = None
) -> Dict[str, float]:
    """Summarise 1-based ranks as recall at k, median rank and mean rank.

    Args:
        ranks (Tensor): 1-based ranks of shape (num_queries,).
        topk (Sequence[int]): The k values for recall at k.
        prefix (str): Prepended to every key with an underscore, e.g. ``'t2v'``.
        misses (Tensor, optional): (num_queries,) True for a query that never counts as
            recalled at any k, whatever its rank (a missing sample's query: in a gallery of
            at most k candidates even the last rank is within k).

    Returns:
        dict[str, float]: ``{prefix}_R{k}`` in percent (0-100) for each k, ``{prefix}_MdR``
        (the median, averaging the two middle ranks when there is an even number) and
        ``{prefix}_MnR``.
    """
    ranks_np = ranks.detach().cpu().numpy()
    if ranks_np.size == 0:
        raise ValueError('cannot summarise an empty set of ranks')
    hits_allowed = np.ones_like(ranks_np, dtype=bool)
    if misses is not None:
        hits_allowed = ~misses.detach().cpu().numpy().astype(bool)
    summary = {f'{prefix}_R{k}': float(np.mean((ranks_np <= k) & hits_allowed) * 100) for k in topk}
    summary[f'{prefix}_MdR'] = float(np.median(ranks_np))
    summary[f'{prefix}_MnR'] = float(np.mean(ranks_np))
    return summary


def exclude_missing(
    scores: Tensor, text_to_video: Tensor, missing: Optional[Tensor] = None
) -> Tensor:
    """Scores with every pair of a missing sample set to -inf, after checking the rest.

    A missing sample (a clip or caption that could not be read) can then only lose: its
    captions' t2v queries and its clip's v2t query rank last among all candidates (the
    pessimistic tie rule), and it is never retrieved above a real candidate.

    Args:
        scores: (num_texts, num_videos) scores.
        text_to_video: (num_texts,) the video of each caption.
        missing: (num_videos,) True for a sample that could not be read; None: none.

    Returns:
        (num_texts, num_videos) scores.

    Raises:
        ValueError: a score between readable samples is NaN or infinite (a NaN would rank
            first and count as a hit); the message gives how many captions are affected.
    """
    if missing is None:
        missing = torch.zeros(scores.shape[1], dtype=torch.bool)
    missing = missing.to(scores.device)
    missing_texts = missing[text_to_video.long()]
    bad = ~torch.isfinite(scores[~missing_texts][:, ~missing])
    if bool(bad.any()):
        raise ValueError(
            f'{int(bad.any(1).sum())} of {int((~missing_texts).sum())} captions '
            f'have NaN or infinite scores ({int(bad.sum())} pairs): the model or '
            'its weights are broken; refusing to rank them'
        )
    scores = scores.clone()
    scores[missing_texts] = float('-inf')
    scores[:, missing] = float('-inf')
    return scores


def retrieval_summary(
    t2v: Tensor,
    v2t: Tensor,
    text_to_video: Tensor,
    missing: Optional[Tensor] = None,
    topk: Sequence[int] = (1, 5, 10),
    prefix: str = '',
) -> Dict[str, float]:
    """t2v and v2t recall at k, median and mean rank, from one score matrix per direction.

    Args:
        t2v: (num_texts, num_videos) scores that rank videos for each caption.
        v2t: (num_texts, num_videos) scores that rank captions for each video.
        text_to_video: (num_texts,) the video of each caption.
        missing: (num_videos,) samples that could not be read; their queries count as misses
            against the full gallery (see :func:`exclude_missing`).
        topk: the k values for recall at k.
        prefix: prepended to ``t2v_*`` / ``v2t_*`` (e.g. ``'dsl_'``).

    Returns:
        ``{prefix}t2v_R{k}``, ``{prefix}t2v_MdR``, ``{prefix}t2v_MnR`` and the same for v2t.
    """
    if missing is None:
        missing = torch.zeros(t2v.shape[1], dtype=torch.bool)
    t2v = exclude_missing(t2v, text_to_video, missing)
    v2t = exclude_missing(v2t, text_to_video, missing)
    t2v_misses = missing.to(text_to_video.device)[text_to_video.long()]
    metrics = rank_summary(t2v_ranks(t2v, text_to_video), topk, f'{prefix}t2v', t2v_misses)
    metrics.update(rank_summary(v2t_ranks(v2t, text_to_video), topk, f'{prefix}v2t', missing))
    return metrics


def similarity(samples: List[Dict[str, Any]]) -> Tuple[Tensor, Tensor, Tensor]:
    """Caption-video similarities of test samples (each ``video_embed`` (E,) and
    ``text_embeds`` (K, E), ordered by ``sample_idx``; ``missing`` when it could not be read).

    Returns:
        ``(sim (num_texts, num_videos), text_to_video (num_texts,), missing (num_videos,))``:
        every caption against every clip, the clip each caption describes, and the samples
        that could not be read (their scores mean nothing: see :func:`exclude_missing`).
    """
    samples = sorted(samples, key=lambda s: s['sample_idx'])
    video_embeds = torch.stack([s['video_embed'] for s in samples])  # (V, E)
    text_embeds = torch.cat([s['text_embeds'] for s in samples])  # (T, E)
    counts = torch.tensor([len(s['text_embeds']) for s in samples])
    missing = torch.tensor([bool(s.get('missing', False)) for s in samples])
    return (
        text_embeds @ video_embeds.t(),
        torch.repeat_interleave(torch.arange(len(samples)), counts),
        missing,
    )


def dual_softmax(sim: Tensor, temperature: float) -> Tuple[Tensor, Tensor]:
    """Dual-softmax re-weighting (DSL, CAMoE https://arxiv.org/abs/2109.04290).

    Each score is multiplied by a prior from the other direction: for t2v, how much the video
    prefers this caption over all test captions; for v2t, how much the caption prefers this
    video. It uses the whole test set at once, so report it apart from the plain numbers.

    Args:
        sim: (num_texts, num_videos) similarities.
        temperature: inverse temperature of the priors' softmax (100 in CAMoE).

    Returns:
        ``(t2v, v2t)`` re-weighted (num_texts, num_videos) scores.
    """
    logits = sim * temperature
    return sim * logits.softmax(dim=0), sim * logits.softmax(dim=1)


@METRICS.register_module()
class RetrievalMetric(BaseMetric):
    """Text-video retrieval metric over a test set of clips with one or more captions each.

    Similarity is the dot product of the L2-normalised embeddings in each data sample
    (``video_embed`` of shape (D,), ``text_embeds`` of shape (K, D)); samples are ordered by
    ``sample_idx``. Ranks are 1-based and ties are pessimistic: a tied candidate counts as
    ranked above the correct one, so a model that gives every pair the same score gets the
    worst rank rather than R@1 = 100. A sample that could not be read (``missing``, from the
    dataset) stays in the test set: its queries count as misses against the full gallery
    (``retrieval/missing`` says how many samples). A NaN or infinite score stops evaluation.

    - **t2v**: every caption is a query; its rank is the number of videos that score >= its
      own video.
    - **v2t**: every video is a query over all captions; its rank is the best (smallest) rank
      of any of its captions, following the VindLU/UMT convention, where a caption's rank is 1
      plus the number of *other* videos' captions that score >= it (the video's other true
      captions do not count against it). CLIP4Clip instead max-pools the scores over a
      video's captions before ranking.

    Output keys (with the default prefix): ``retrieval/t2v_R{k}`` and ``retrieval/v2t_R{k}`` in
    percent for each k in ``topk``, plus ``retrieval/{t2v,v2t}_MdR`` (median rank) and
    ``retrieval/{t2v,v2t}_MnR`` (mean rank). With ``dsl_temperature``, the same after
    dual-softmax re-weighting as ``retrieval/dsl_*``, beside (never instead of) the plain ones.

    Args:
        topk (Sequence[int]): The k values for recall at k. Defaults to (1, 5, 10).
        collect_device (str): Device used to collect results across ranks, ``'cpu'`` or
            ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the metric names; ``default_prefix`` when None.
        collect_dir (str, optional): Directory for collecting results across ranks when
            ``collect_device`` is ``'cpu'``; a temporary one when None.
        dsl_temperature (float, optional): also report dual-softmax (DSL) numbers with this
            inverse temperature.
    """

    default_prefix: Optional[str] = 'retrieval'

    def __init__(
        self,
        topk: Sequence[int] = (1, 5, 10),
        collect_device: str = 'cpu',
        prefix: Optional[str] = None,
        collect_dir: Optional[str] = None,
        dsl_temperature: Optional[float] = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        self.dsl_temperature = dsl_temperature
        if (
            not isinstance(topk, abc.Sequence)
            or isinstance(topk, str)
            or not topk
            or not all(
                isinstance(k, (int, np.integer)) and not isinstance(k, bool) and k > 0 for k in topk
            )
        ):
            raise ValueError(f'topk must be a non-empty sequence of positive ints, got {topk!r}')
        self.topk = tuple(int(k) for k in topk)

    def process(self, data_batch: object, data_samples: Sequence[Dict[str, Any]]) -> None:
        """Store each sample's embeddings on the CPU.

        Args:
            data_batch (object): The batch from the dataloader (unused).
            data_samples (Sequence[dict]): The model's outputs, each with ``video_embed`` of
                shape (D,), ``text_embeds`` of shape (K, D) and ``sample_idx``.
        """
        for sample in map(VideoTextDataSample.from_dict, data_samples):
            video_embed = sample.video_embed.detach().float().cpu().flatten()
            text_embeds = sample.text_embeds.detach().float().cpu()
            self.results.append(
                dict(
                    sample_idx=int(sample.sample_idx),
                    missing=bool(sample.get('missing', False)),
                    video_embed=video_embed,
                    text_embeds=text_embeds.reshape(-1, video_embed.numel()),
                )
            )

    def compute_metrics(self, results: List[Dict[str, Any]]) -> Dict[str, float]:
        """Rank all captions against all videos and summarise both directions.

        Args:
            results (list[dict]): The stored results of every test sample.

        Returns:
            dict[str, float]: t2v and v2t recall at k, median rank and mean rank.
        """
        if not results:
            raise ValueError(f'{self.__class__.__name__} got no results to evaluate')
        sim, text_to_video, missing = similarity(results)
        metrics = retrieval_summary(sim, sim, text_to_video, missing, self.topk)
        if self.dsl_temperature is not None:
            # missing pairs at -inf weigh nothing in the priors (their own scores turn NaN,
            # then -inf again in retrieval_summary)
            t2v, v2t = dual_softmax(
                exclude_missing(sim, text_to_video, missing), self.dsl_temperature
            )
            metrics.update(retrieval_summary(t2v, v2t, text_to_video, missing, self.topk, 'dsl_'))
        metrics['missing'] = float(missing.sum())
        return metrics
