"""The base of vtp's inferencers: a model from a config and checkpoint (or a model object), and
clips and texts embedded through the config's test pipeline, as ``tools/test.py`` embeds them."""

import hashlib
import unicodedata
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Union

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.infer import BaseInferencer
from mmengine.logging import MMLogger
from mmengine.utils import import_modules_from_strings
from torch import nn
from torch.utils.data import DataLoader
from tqdm import tqdm

from vtp.apis.features_key import config_hashes
from vtp.apis.video_items import (
    Item,
    VideoItems,
    collate_video_items,
    item_identity,
    split_pipeline,
)
from vtp.datasets.annotation import lone_surrogate
from vtp.engine.runner.retrieval_loop import Rescored, match_scorers, reranked, rescore_topk
from vtp.engine.runner.vtp_runner import load_matching, require_complete, require_tensors
from vtp.models.algorithms.video_text_pretrainer import VideoTextPretrainer
from vtp.registry import MODELS, TRANSFORMS
from vtp.utils.checks import require_int
from vtp.utils.config_file import read_config
from vtp.utils.pretrained import load_state_dict
from vtp.utils.process import init_worker


@dataclass
class VideoFeatures:
    """Embedded clips: the readable ones in input order, and those that could not be read.

    Attributes:
        items: the readable videos (data-info dicts with ``filename``).
        embeds: (V, E) L2-normalised clip embeddings.
        tokens: (V, N, Dv) visual tokens, kept when the model has a fusion encoder (needed to
            re-rank with the matching head); None otherwise.
        durations: seconds of each readable video.
        frames: the frame indices the test pipeline used, per readable video.
        failures: ``{'filename', 'error'}`` for each video that could not be read.
    """

    items: List[Item]
    embeds: torch.Tensor
    tokens: Optional[torch.Tensor] = None
    durations: List[float] = field(default_factory=list)
    frames: List[List[int]] = field(default_factory=list)
    failures: List[Dict[str, str]] = field(default_factory=list)


@dataclass
class TextFeatures:
    """Embedded texts.

    Attributes:
        texts: the texts.
        embeds: (T, E) L2-normalised text embeddings.
        tokens: (T, L, D) text tokens and ``mask`` (T, L), kept when the model has a fusion
            encoder; None otherwise.
    """

    texts: List[str]
    embeds: torch.Tensor
    tokens: Optional[torch.Tensor] = None
    mask: Optional[torch.Tensor] = None


def load_config(config: Union[str, Config]) -> Config:
    """A config from a file or a ``Config``, its ``custom_imports`` (plugins) imported."""
    cfg = read_config(config) if isinstance(config, str) else config
    imports = cfg.get('custom_imports')
    if imports:
        import_modules_from_strings(**imports)
    return cfg


# Unicode categories with nothing to read: controls, format characters (zero-width space,
# byte-order mark), separators, surrogates, private use and unassigned code points.
UNREADABLE = frozenset(('Cc', 'Cf', 'Cs', 'Co', 'Cn', 'Zs', 'Zl', 'Zp'))


def check_texts(texts: Sequence[Any]) -> None:
    """Raise ``ValueError`` naming the first text that is not a string with something to read:
    an empty or invisible query (``'\u200b'``) would be embedded as no words (the tokenizer
    refuses one alone, not in a batch), and a lone surrogate stops the tokenizer."""
    for i, text in enumerate(texts):
        if not isinstance(text, str) or all(unicodedata.category(c) in UNREADABLE for c in text):
            raise ValueError(
                f'text {i} is {text!r}: every text must be a string with a visible character'
            )
        at = lone_surrogate(text)
        if at is not None:
            raise ValueError(
                f'text {i} is not text: a lone UTF-16 surrogate {text[at]!r} at character {at}'
            )


def build_model(
    cfg: Config, weights: Optional[str], device: Union[str, torch.device] = 'cpu'
) -> VideoTextPretrainer:
    """The config's model, the weights of ``weights`` loaded safely (no code from the file
    runs), in eval mode on ``device``; one log line says what was loaded. A checkpoint that
    leaves any of the model's tensors at their initialisation (another task's, an empty
    state dict) raises :class:`~vtp.utils.pretrained.CheckpointError`."""
    model = MODELS.build(cfg.model)
    if not isinstance(model, VideoTextPretrainer):
        raise TypeError(f'inference needs a VideoTextPretrainer, got {type(model).__name__}')
    logger = MMLogger.get_current_instance()
    if weights is None:
        warnings.warn(
            'no checkpoint given: the model keeps its random initialisation', stacklevel=3
        )
    else:
        state_dict = {k.removeprefix('module.'): v for k, v in load_state_dict(weights).items()}
        require_tensors(weights, state_dict)
        report = load_matching(model, state_dict)
        logger.info(f'Load checkpoint from {weights}: {report.summary}')
        require_complete(weights, report)
    return model.to(device).eval()


class VideoTextInferencer(BaseInferencer):
    """Embeds clips and texts with a vtp model exactly as its test loop does.

    Clips go through the video transforms of the config's test pipeline (read, sample
    frames, resize, crop, pack) and the model's data preprocessor; texts through its text
    transforms (``TokenizeText``). Unreadable videos are reported (``failures``), never fatal.

    Args:
        model: a config file or ``Config``, or a built :class:`VideoTextPretrainer` (then
            ``config`` gives its test pipeline).
        weights: checkpoint to load (``.pth`` or ``.safetensors``) when ``model`` is a config.
        config: the config of a model object (``model.cfg`` when None).
        device: where the model runs; the model's device (or CPU) when None.
        batch_size: clips or texts per forward pass; the test dataloader's when None.
        num_workers: dataloader processes that decode videos (0: in this process).
        show_progress: show a progress bar while embedding videos.
    """

    def __init__(
        self,
        model: Union[str, Config, nn.Module],
        weights: Optional[str] = None,
        config: Optional[Union[str, Config]] = None,
        device: Optional[str] = None,
        batch_size: Optional[int] = None,
        num_workers: int = 0,
        show_progress: bool = True,
    ) -> None:
        if isinstance(model, nn.Module):
            cfg_source = config if config is not None else getattr(model, 'cfg', None)
            if cfg_source is None:
                raise ValueError('a model object needs `config` (for its test pipeline)')
            if not isinstance(model, VideoTextPretrainer):
                raise TypeError(f'inference needs a VideoTextPretrainer, got {type(model)}')
            self.cfg = load_config(cfg_source)
            self.model = model.to(device).eval() if device else model.eval()
        else:
            self.cfg = load_config(model)
            self.model = build_model(self.cfg, weights, device or 'cpu')
        self.scope = 'vtp'
        video, text = split_pipeline(self.cfg.test_dataloader.dataset.pipeline)
        self.video_pipeline, self.text_pipeline = video, text
        self.text_transforms = [TRANSFORMS.build(t) for t in text]
        self.pipeline = self._init_pipeline(self.cfg)
        self.collate_fn = pseudo_collate
        self.visualizer = None
        self.batch_size = batch_size or int(self.cfg.test_dataloader.get('batch_size', 1))
        self.num_workers = num_workers
        self.show_progress = show_progress
        self.keep_tokens = self.model.fusion is not None
        self.logger = MMLogger.get_current_instance()

    def _init_pipeline(self, cfg: Config) -> Callable[[Item], Dict[str, Any]]:
        """Reads one video through the video part of the test pipeline (see
        :class:`VideoItems`)."""
        items = VideoItems([], self.video_pipeline)

        def read(item: Item) -> Dict[str, Any]:
            items.items = [item]
            return items[0]

        return read

    def __call__(
        self,
        inputs: Any,
        return_datasamples: bool = False,
        batch_size: Optional[int] = None,
        **kwargs: Any,
    ) -> Any:
        """mmengine's call (preprocess, forward, postprocess), batched by ``batch_size``
        (the inferencer's when None); ``topk`` and ``rerank_topk`` are checked before any
        video is read."""
        if 'topk' in kwargs:
            require_int('topk', kwargs['topk'], 1)
        if kwargs.get('rerank_topk') is not None:
            require_int('rerank_topk (0: off)', kwargs['rerank_topk'], 0)
        return super().__call__(
            inputs, return_datasamples, batch_size=batch_size or self.batch_size, **kwargs
        )

    def visualize(self, inputs: List[Any], preds: Any, show: bool = False, **kwargs: Any) -> None:
        """No pictures yet: results are returned as data."""
        return None

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    # Video side.
    def video_batches(self, items: Sequence[Item], batch_size: int) -> Iterator[Dict[str, Any]]:
        """Batches of :func:`collate_video_items`, decoded by ``num_workers`` processes."""
        loader: DataLoader[Dict[str, Any]] = DataLoader(
            VideoItems(items, self.video_pipeline),
            batch_size=batch_size,
            num_workers=self.num_workers,
            collate_fn=collate_video_items,
            worker_init_fn=init_worker if self.num_workers else None,
        )
        yield from loader

    @torch.no_grad()
    def embed_video_batch(self, batch: Dict[str, Any]) -> List[Dict[str, Any]]:
        """One batch of :meth:`video_batches` -> a result per video, in input order: the
        readable ones with ``embed`` (E,), ``tokens`` (N, Dv) or None, ``duration`` and
        ``frames``; the others with ``error``."""
        results = list(batch['failed'])
        if batch['read']:
            # torch types a submodule's attribute as Tensor | Module.
            data = self.model.data_preprocessor(  # type: ignore[operator]
                pseudo_collate([b['packed'] for b in batch['read']])
            )
            tokens, embeds = self.model.embed_video(data['inputs']['video'])
            if embeds is None:
                raise ValueError('retrieval needs joint embeddings: the model has no embed_dim')
            for i, b in enumerate(batch['read']):
                results.append(
                    dict(
                        index=b['index'],
                        item=b['item'],
                        embed=embeds[i].float().cpu(),
                        tokens=tokens[i].cpu() if self.keep_tokens else None,
                        duration=b['duration'],
                        frames=b['frames'],
                    )
                )
        return sorted(results, key=lambda r: int(r['index']))

    def embed_videos(
        self, items: Sequence[Item], batch_size: Optional[int] = None
    ) -> VideoFeatures:
        """Embed every video of ``items``; unreadable ones are logged and listed."""
        results: List[Dict[str, Any]] = []
        size = batch_size or self.batch_size
        batches = self.video_batches(items, size)
        total = -(-len(items) // size)
        for batch in tqdm(batches, 'videos', total=total, disable=not self.show_progress):
            results += self.embed_video_batch(batch)
        return video_features(results, self.logger)

    # Text side.
    def tokenize(self, texts: Sequence[str]) -> Dict[str, torch.Tensor]:
        """Texts -> ``input_ids`` and ``attention_mask`` (T, L), by the test pipeline's text
        transforms (see :func:`check_texts`)."""
        check_texts(texts)
        results: Dict[str, Any] = dict(text=list(texts))
        for transform in self.text_transforms:
            results = transform(results)
        return dict(
            input_ids=torch.from_numpy(results['input_ids']),
            attention_mask=torch.from_numpy(results['attention_mask']),
        )

    @torch.no_grad()
    def embed_text_batch(self, texts: Sequence[str]) -> List[Dict[str, Any]]:
        """A result per text: ``text``, ``embed`` (E,), ``tokens`` (L, D) and ``mask`` (L,)
        (None without a fusion encoder)."""
        inputs = self.tokenize(texts)
        mask = inputs['attention_mask'].to(self.device)
        tokens, embeds = self.model.embed_text(inputs['input_ids'].to(self.device), mask)
        if embeds is None:
            raise ValueError('retrieval needs joint embeddings: the model has no embed_dim')
        return [
            dict(
                text=text,
                embed=embeds[i].float().cpu(),
                tokens=tokens[i].cpu() if self.keep_tokens else None,
                mask=mask[i].cpu() if self.keep_tokens else None,
            )
            for i, text in enumerate(texts)
        ]

    def embed_texts(self, texts: Sequence[str], batch_size: Optional[int] = None) -> TextFeatures:
        """Embed ``texts`` in batches of ``batch_size`` (all checked first: see
        :func:`check_texts`)."""
        check_texts(texts)
        size = batch_size or self.batch_size
        results: List[Dict[str, Any]] = []
        for start in range(0, len(texts), size):
            results += self.embed_text_batch(texts[start : start + size])
        return text_features(results)

    # Ranking.
    @torch.no_grad()
    def rank(
        self,
        sim: torch.Tensor,
        topk: int,
        rerank_topk: Optional[int],
        scorer: Callable[[], Callable[[int, torch.Tensor], torch.Tensor]],
    ) -> List[List[Dict[str, Any]]]:
        """The ``topk`` best candidates of each query, re-ranked as the test loop re-ranks.

        Args:
            sim: (Q, C) similarities of the queries with the gallery.
            topk: candidates returned per query.
            rerank_topk: re-score each query's top k with the matching head (the retrieval
                loop's rule, :func:`~vtp.engine.runner.retrieval_loop.reranked`); None: the
                model's ``test_cfg.rerank_topk``; 0: rank by similarity only.
            scorer: gives the ``(query, candidates) -> scores`` cross-encoder function.

        Returns:
            Per query, ``{'index', 'rank', 'score', 'similarity', 'reranked'}`` for each
            candidate, best first (``rank`` counts from 1): ``score`` ranks them (the
            similarity; with re-ranking, the re-ranked score of the top k, and for the others
            the similarity shifted below them, which ``reranked`` marks False).
        """
        require_int('topk', topk, 1)
        k = self.model.test_cfg.rerank_topk if rerank_topk is None else rerank_topk
        require_int('rerank_topk (0: off)', k, 0)
        scores = sim.double()
        rescored: Rescored = {}
        if k:
            if not self.keep_tokens:
                raise ValueError('re-ranking needs a model with a fusion encoder and matching head')
            rescored = rescore_topk(sim, k, scorer(), range(len(sim)))
            scores = reranked(sim, rescored, self.model.similarity_scale())
        best = scores.topk(min(topk, sim.shape[1]), dim=1)
        return [
            [
                dict(
                    index=int(c),
                    rank=rank,
                    score=float(s),
                    similarity=float(sim[q, c]),
                    reranked=q in rescored and bool((rescored[q][0] == c).any()),
                )
                for rank, (s, c) in enumerate(
                    zip(best.values[q].tolist(), best.indices[q].tolist()), 1
                )
            ]
            for q in range(len(sim))
        ]

    def t2v_scorer(
        self, texts: TextFeatures, videos: VideoFeatures
    ) -> Callable[[int, torch.Tensor], torch.Tensor]:
        """``(text, video indices) -> matching scores`` (see :func:`match_scorers`)."""
        assert texts.tokens is not None and texts.mask is not None and videos.tokens is not None
        return match_scorers(self.model, texts.tokens, texts.mask, videos.tokens)[0]

    def v2t_scorer(
        self, texts: TextFeatures, videos: VideoFeatures
    ) -> Callable[[int, torch.Tensor], torch.Tensor]:
        """``(video, text indices) -> matching scores`` (see :func:`match_scorers`)."""
        assert texts.tokens is not None and texts.mask is not None and videos.tokens is not None
        return match_scorers(self.model, texts.tokens, texts.mask, videos.tokens)[1]

    # Cache keys.
    def fingerprint(self, items: Sequence[Item] = ()) -> Dict[str, str]:
        """The key of gallery features (:mod:`vtp.apis.features_key`): ``model`` and
        ``config`` (the model config, and the test pipeline), ``weights`` (every tensor of the
        model's state) and ``files`` (:func:`~vtp.apis.video_items.item_identity` of each
        video)."""
        key = config_hashes(self.cfg.model, (self.video_pipeline, self.text_pipeline))
        weights = hashlib.sha256()
        for name, tensor in self.model.state_dict().items():
            weights.update(name.encode())
            weights.update(tensor.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy())
        files = hashlib.sha256('\n'.join(map(item_identity, items)).encode())
        return dict(key, weights=weights.hexdigest(), files=files.hexdigest())


def video_features(results: List[Dict[str, Any]], logger: MMLogger) -> VideoFeatures:
    """Per-video results of :meth:`VideoTextInferencer.embed_video_batch` -> features;
    each unreadable video is logged once."""
    read = [r for r in results if 'embed' in r]
    failures = [
        dict(filename=r['item']['filename'], error=r['error']) for r in results if 'error' in r
    ]
    for failure in failures:
        logger.warning(f'unreadable video (left out): {failure["error"]}')
    if not read:
        raise ValueError(f'none of the {len(results)} videos could be read')
    tokens = [r['tokens'] for r in read]
    return VideoFeatures(
        items=[r['item'] for r in read],
        embeds=torch.stack([r['embed'] for r in read]),
        tokens=torch.stack(tokens) if tokens[0] is not None else None,
        durations=[float(r['duration']) for r in read],
        frames=[list(r['frames']) for r in read],
        failures=failures,
    )


def text_features(results: List[Dict[str, Any]]) -> TextFeatures:
    """Per-text results of :meth:`VideoTextInferencer.embed_text_batch` -> features."""
    if not results:
        raise ValueError('no texts given')
    keep = results[0]['tokens'] is not None
    return TextFeatures(
        texts=[r['text'] for r in results],
        embeds=torch.stack([r['embed'] for r in results]),
        tokens=torch.stack([r['tokens'] for r in results]) if keep else None,
        mask=torch.stack([r['mask'] for r in results]) if keep else None,
    )
