"""Retrieval evaluation that scales: dual-encoder scores for all pairs, the cross-encoder for the
top k candidates of each query only, split across processes."""

from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Tuple

import torch
from mmengine.dist import all_gather_object, get_dist_info
from mmengine.evaluator import Evaluator
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner, TestLoop, ValLoop, autocast
from torch.utils.data import DataLoader

from vtp.evaluation.metrics.retrieval_metric import exclude_missing, retrieval_summary, similarity
from vtp.registry import LOOPS
from vtp.structures import VideoTextDataSample
from vtp.utils.checks import require_int

if TYPE_CHECKING:
    from vtp.models.algorithms.video_text_pretrainer import VideoTextPretrainer

Scorer = Callable[[int, torch.Tensor], torch.Tensor]

Rescored = Dict[int, Tuple[torch.Tensor, torch.Tensor]]
"""query index -> ((k,) candidate indices, (k,) their cross-encoder scores)."""


def rescore_topk(sim: torch.Tensor, topk: int, score: Scorer, queries: Iterable[int]) -> Rescored:
    """Score the top ``topk`` candidates of each query in ``queries`` with a cross-encoder.

    Candidates tied with the k-th similarity are all re-scored (more than k then), so which of
    them gets the cross-encoder's verdict never depends on their order in the gallery.
    Candidates at -inf (missing samples, see
    :func:`~vtp.evaluation.metrics.retrieval_metric.exclude_missing`) are never re-scored.

    Args:
        sim: (num_queries, num_candidates) dual-encoder similarities.
        topk: candidates per query.
        score: ``(query index, candidate indices (k,)) -> (k,)`` cross-encoder scores.
        queries: the rows of ``sim`` to re-score (one ``score`` call each, none for a row
            without a candidate above -inf).

    Returns:
        For each query, its top-k candidates by similarity (with their ties) and their
        (float32, CPU) scores.
    """
    require_int('topk', topk, 1)
    rescored = {}
    for query in queries:
        row = sim[query]
        real = row > float('-inf')
        k = min(topk, int(real.sum()))
        if k == 0:
            rescored[query] = torch.zeros(0, dtype=torch.long), torch.zeros(0)
            continue
        kth = row[real].topk(k).values[-1]
        candidates = torch.nonzero(row >= kth).flatten()
        rescored[query] = candidates, score(query, candidates).float().cpu()
    return rescored


def reranked(sim: torch.Tensor, rescored: Rescored, sim_weight: float = 1.0) -> torch.Tensor:
    """The final scores of re-ranked queries.

    A re-scored candidate's score is its cross-encoder score plus ``sim_weight`` x its
    similarity; every other candidate of the query keeps its similarity order, shifted to
    rank strictly below every re-scored one whatever the cross-encoder's scale.

    Args:
        sim: (num_queries, num_candidates) dual-encoder similarities.
        rescored: what :func:`rescore_topk` returned for (some of) the queries.
        sim_weight: weight of the similarity in a re-scored candidate's score.

    Returns:
        (num_queries, num_candidates) float64 scores; rows not in ``rescored`` are the
        similarities.
    """
    sim = sim.double()
    scores = sim.clone()
    for query, (candidates, cross) in rescored.items():
        if not len(candidates):
            continue
        top = cross.double() + sim_weight * sim[query, candidates]
        others = torch.ones(sim.shape[1], dtype=torch.bool)
        others[candidates] = False
        rest = sim[query, others]
        finite_top, finite_rest = top[torch.isfinite(top)], rest[torch.isfinite(rest)]
        if finite_top.numel() and finite_rest.numel():
            scores[query, others] = rest - finite_rest.max() + finite_top.min() - 1
        scores[query, candidates] = top
    return scores


def rerank(
    sim: torch.Tensor,
    topk: int,
    score_t2v: Scorer,
    score_v2t: Scorer,
    rank: int = 0,
    world_size: int = 1,
    sim_weight: float = 1.0,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Re-score the top ``topk`` candidates of every query, both ways, with a cross-encoder.

    Process ``rank`` of ``world_size`` scores queries ``rank, rank + world_size, ...`` of each
    direction, one query at a time (the same batches whatever the number of processes), and
    the rows are gathered. Scores follow :func:`reranked`.

    Args:
        sim: (num_texts, num_videos) dual-encoder similarities.
        topk: candidates per query (with their ties: see :func:`rescore_topk`).
        score_t2v: ``(text index, video indices (k,)) -> (k,)`` cross-encoder scores.
        score_v2t: ``(video index, text indices (k,)) -> (k,)`` cross-encoder scores.
        rank: this process's rank.
        world_size: number of processes.
        sim_weight: weight of the similarity in a re-scored candidate's score (the model's
            contrastive inverse temperature makes it the contrastive logit, on the scale of
            the matching head's logit margin).

    Returns:
        ``(t2v (num_texts, num_videos), v2t (num_texts, num_videos))`` float64 re-ranked scores:
        rows of the first rank videos for each text, columns of the second rank texts for each
        video.
    """
    require_int('topk', topk, 1)
    num_texts, num_videos = sim.shape
    t2v_rows = rescore_topk(sim, topk, score_t2v, range(rank, num_texts, world_size))
    v2t_rows = rescore_topk(sim.t(), topk, score_v2t, range(rank, num_videos, world_size))
    if world_size > 1:
        rows = {('t2v', q): r for q, r in t2v_rows.items()}
        rows.update({('v2t', q): r for q, r in v2t_rows.items()})
        for part in all_gather_object(rows):
            rows.update(part)
        t2v_rows = {q: r for (direction, q), r in rows.items() if direction == 't2v'}
        v2t_rows = {q: r for (direction, q), r in rows.items() if direction == 'v2t'}
    return reranked(sim, t2v_rows, sim_weight), reranked(sim.t(), v2t_rows, sim_weight).t()


class _RetrievalLoopMixin:
    """The body shared by the val and test loops (``phase`` is ``'val'`` or ``'test'``).

    The evaluator receives every batch as usual (dual-encoder metrics such as
    ``RetrievalMetric``). The loop also keeps each sample's embeddings, ids and captions;
    after the last batch it gathers them from all processes (dropping the sampler's padding
    duplicates) and, when the model's ``test_cfg.rerank_topk`` is k > 0, re-scores the top k
    candidates of every query with the model's matching head, adding
    ``retrieval/rerank_{t2v,v2t}_*`` to the metrics. Samples that could not be read
    (``missing``) count as misses, as in ``RetrievalMetric``. ``predictions`` then holds, per
    caption, the ten best videos (after re-ranking when done) and their scores, which
    ``tools/test.py --out`` writes.
    """

    phase = 'val'
    # mmengine's attributes, set by ValLoop.__init__ and TestLoop.__init__.
    runner: Runner
    dataloader: DataLoader[Any]
    evaluator: Evaluator
    fp16: bool

    def run(self) -> Dict[str, Any]:
        runner, phase = self.runner, self.phase
        runner.call_hook(f'before_{phase}')
        runner.call_hook(f'before_{phase}_epoch')
        runner.model.eval()
        kept: List[Dict[str, Any]] = []
        for idx, data_batch in enumerate(self.dataloader):
            runner.call_hook(f'before_{phase}_iter', batch_idx=idx, data_batch=data_batch)
            with torch.no_grad(), autocast(enabled=self.fp16):
                outputs = getattr(runner.model, f'{phase}_step')(data_batch)
            self.evaluator.process(data_samples=outputs, data_batch=data_batch)
            kept += [_keep(sample) for sample in outputs]
            runner.call_hook(
                f'after_{phase}_iter', batch_idx=idx, data_batch=data_batch, outputs=outputs
            )
        # torch's Dataset declares no __len__; the loop's datasets have one.
        size = len(self.dataloader.dataset)  # type: ignore[arg-type]
        metrics: Dict[str, Any] = self.evaluator.evaluate(size)
        with torch.no_grad(), autocast(enabled=self.fp16):
            metrics.update(self._rank(kept))
        runner.call_hook(f'after_{phase}_epoch', metrics=metrics)
        runner.call_hook(f'after_{phase}')
        return metrics

    def _rank(self, kept: List[Dict[str, Any]]) -> Dict[str, float]:
        """Gather the kept samples, re-rank if asked, and set ``predictions``."""
        rank, world_size = get_dist_info()
        if world_size > 1:
            kept = [s for part in all_gather_object(kept) for s in part]
        samples = sorted({s['sample_idx']: s for s in kept}.values(), key=lambda s: s['sample_idx'])
        sim, text_to_video, missing = similarity(samples)  # (T, V), (T,), (V,)
        # missing samples at -inf before choosing the top k: they take no candidate's place
        sim = exclude_missing(sim, text_to_video, missing)
        model: 'VideoTextPretrainer' = (
            self.runner.model.module if is_model_wrapper(self.runner.model) else self.runner.model
        )
        topk = model.test_cfg.rerank_topk
        metrics: Dict[str, float] = {}
        t2v = sim
        if topk > 0:
            t2v, v2t = rerank(
                sim, topk, *_scorers(model, samples), rank, world_size, model.similarity_scale()
            )
            metrics.update(
                retrieval_summary(t2v, v2t, text_to_video, missing, prefix='retrieval/rerank_')
            )
            t2v = exclude_missing(t2v, text_to_video, missing)
        captions = [c for s in samples for c in s['texts']]
        video_ids = [s['video_id'] for s in samples]
        best = t2v.topk(min(10, len(samples)), dim=1)
        # a missing clip (scored -inf) is never retrieved: it is left out of every top10, and
        # a caption of a missing clip, not ranked, gets an empty top10 (its ``missing`` is set)
        retrieved = best.values > float('-inf')  # (T, k)
        self.predictions = [
            dict(
                query=i,
                caption=captions[i],
                video_id=video_ids[int(text_to_video[i])],
                missing=bool(missing[text_to_video[i]]),
                top10=[video_ids[j] for j in best.indices[i][retrieved[i]].tolist()],
                scores=[round(float(v), 6) for v in best.values[i][retrieved[i]].tolist()],
            )
            for i in range(len(captions))
        ]
        return metrics


def _keep(sample: VideoTextDataSample) -> Dict[str, Any]:
    """What the loop needs of one predicted data sample, on the CPU."""
    text = sample.get('text', [])
    kept = dict(
        sample_idx=int(sample.sample_idx),
        video_id=str(sample.get('video_id', '')),
        missing=bool(sample.get('missing', False)),
        texts=[text] if isinstance(text, str) else list(text),
        video_embed=sample.video_embed.float().cpu(),
        text_embeds=sample.text_embeds.float().cpu(),
    )
    if 'video_tokens' in sample:
        kept.update(
            video_tokens=sample.video_tokens.cpu(),
            text_tokens=sample.text_tokens.cpu(),
            text_mask=sample.text_mask.cpu(),
        )
    return kept


def _scorers(model: 'VideoTextPretrainer', samples: List[Dict[str, Any]]) -> Tuple[Scorer, Scorer]:
    """``score_t2v`` and ``score_v2t`` for :func:`rerank` over the kept samples."""
    if 'video_tokens' not in samples[0]:
        raise RuntimeError(
            "rerank_topk needs the model to keep tokens: set it in the model's "
            'test_cfg (predict keeps them only then)'
        )
    return match_scorers(
        model,
        torch.cat([s['text_tokens'] for s in samples]),  # (T, L, D)
        torch.cat([s['text_mask'] for s in samples]),  # (T, L)
        torch.stack([s['video_tokens'] for s in samples]),  # (V, N, Dv)
    )


def match_scorers(
    model: 'VideoTextPretrainer',
    text_tokens: torch.Tensor,
    text_mask: torch.Tensor,
    video_tokens: torch.Tensor,
) -> Tuple[Scorer, Scorer]:
    """``score_t2v`` and ``score_v2t`` (see :func:`rerank`) running ``model.match_scores``
    on the model's device, one query's k candidates per call.

    Args:
        model: the model whose matching head scores (text, clip) pairs.
        text_tokens: (T, L, D) token features of the texts.
        text_mask: (T, L) 1 for real tokens.
        video_tokens: (V, N, Dv) visual tokens of the clips.
    """
    device = next(model.parameters()).device

    def score_t2v(text: int, videos: torch.Tensor) -> torch.Tensor:
        k = len(videos)
        return model.match_scores(
            text_tokens[text].expand(k, -1, -1).to(device),
            text_mask[text].expand(k, -1).to(device),
            video_tokens[videos].to(device),
        )

    def score_v2t(video: int, texts: torch.Tensor) -> torch.Tensor:
        k = len(texts)
        return model.match_scores(
            text_tokens[texts].to(device),
            text_mask[texts].to(device),
            video_tokens[video].expand(k, -1, -1).to(device),
        )

    return score_t2v, score_v2t


@LOOPS.register_module()
class RetrievalValLoop(_RetrievalLoopMixin, ValLoop):
    """mmengine's ``ValLoop`` for retrieval: see :class:`_RetrievalLoopMixin`."""

    phase = 'val'


@LOOPS.register_module()
class RetrievalTestLoop(_RetrievalLoopMixin, TestLoop):
    """mmengine's ``TestLoop`` for retrieval: see :class:`_RetrievalLoopMixin`."""

    phase = 'test'
