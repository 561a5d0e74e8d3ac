"""The video-text model: encoders, an optional fusion encoder and a set of heads, wired together."""

import inspect
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Tuple, Type, TypeVar, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from torch import nn

from vtp.models.utils import QuietInitMixin
from vtp.registry import MODELS
from vtp.structures import PredictSettings, VideoTextDataSample, VideoTextFeatures

T = TypeVar('T')


def _build(cfg: Union[Dict[str, Any], nn.Module]) -> nn.Module:
    return cfg if isinstance(cfg, nn.Module) else MODELS.build(cfg)


def _build_fusion(cfg: Union[Dict[str, Any], nn.Module], text_encoder: nn.Module) -> nn.Module:
    """Build the fusion encoder, giving it the text encoder when its constructor takes one
    (a fusion made of the text encoder's own layers, :class:`BertFusion`)."""
    if isinstance(cfg, nn.Module):
        return cfg
    cls = cfg['type'] if inspect.isclass(cfg['type']) else MODELS.get(cfg['type'])
    takes_text_encoder = cls is not None and 'text_encoder' in inspect.signature(cls).parameters
    fusion: nn.Module = MODELS.build(
        cfg, default_args=dict(text_encoder=text_encoder) if takes_text_encoder else None
    )
    return fusion


def _declared(module: nn.Module, name: str, kind: Type[T]) -> T:
    """``module.<name>``, an attribute the model's contract requires to be a ``kind``."""
    value = getattr(module, name, None)
    if not isinstance(value, kind):
        raise TypeError(
            f'{type(module).__name__}.{name} must be a {kind.__name__}, got {type(value).__name__}'
        )
    return value


def _joint(embed: Optional[torch.Tensor], task: str) -> torch.Tensor:
    """The (B, E) joint embeddings that ``task`` needs, which a model without ``embed_dim``
    lacks."""
    if embed is None:
        raise ValueError(f'test_cfg.task={task!r} needs joint embeddings: set model.embed_dim')
    return embed


def _scale_grad(x: torch.Tensor, scale: float) -> torch.Tensor:
    """``x`` unchanged, with the gradient flowing back through it multiplied by ``scale``."""
    if scale == 1.0:
        return x
    frozen = x.detach()
    return frozen if scale == 0.0 else frozen + scale * (x - frozen)


def _project(proj: Optional[nn.Linear], pooled: torch.Tensor) -> Optional[torch.Tensor]:
    """(B, D) pooled features -> (B, E) L2-normalised joint embeddings (None without one)."""
    return None if proj is None else F.normalize(proj(pooled), dim=-1)


@MODELS.register_module()
class VideoTextPretrainer(QuietInitMixin, BaseModel):
    """Dual encoder + fusion encoder with pluggable heads.

    ``loss`` computes the features once (:class:`VideoTextFeatures`) and sums what every head's
    ``loss`` returns; a new objective is a new registered head in ``heads``, with no edit here.
    ``predict`` serves the task named in ``test_cfg`` (retrieval embeddings by default).

    Args:
        video_encoder: config of the video encoder (``forward(video) -> (tokens, pooled)``).
        text_encoder: config of the text encoder (``forward(ids, mask) -> (tokens, pooled)``);
            one whose forward takes a ``cache`` keyword (``BertTextEncoder``) gets
            ``cache=False`` for MLM's masked captions, met once each.
        heads: name -> head config; each head has ``loss(feats, data_samples) -> dict``. Loss
            keys must differ between heads.
        fusion: config of the fusion encoder, needed by matching and MLM heads. A fusion whose
            constructor takes ``text_encoder`` is given the model's (``BertFusion`` takes the
            text encoder's upper layers).
        fusion_grad_scale: multiplies the gradient that the fusion (matching, MLM and any
            other fused head) sends back into the video and text encoders; 1 as the papers,
            0 leaves the encoders to the contrastive loss alone while the fusion and its heads
            learn on top of them (what the demo's small encoders need: see
            docs/user_guides/5_results_and_benchmarks.md).
        embed_dim: width E of the joint embedding space; None for a model without one (a QA
            model whose heads read only fused tokens), whose embeddings are then None.
        data_preprocessor: config of the data preprocessor.
        test_cfg: what ``predict`` does (:class:`PredictSettings`): ``task='retrieval'`` (the
            default) embeds clips and captions (``rerank_topk``, ``rerank_head``,
            ``reverse_probe``); ``task='qa'`` asks the head named by ``answer_head``;
            ``task='multiple_choice'`` scores each clip's texts as options
            (``option_weights``, ``rerank_head``). A key the task does not read is an error.
        init_cfg: mmengine init config.
    """

    def __init__(
        self,
        video_encoder: Union[Dict[str, Any], nn.Module],
        text_encoder: Union[Dict[str, Any], nn.Module],
        heads: Dict[str, Union[Dict[str, Any], nn.Module]],
        fusion: Optional[Union[Dict[str, Any], nn.Module]] = None,
        fusion_grad_scale: float = 1.0,
        embed_dim: Optional[int] = 256,
        data_preprocessor: Optional[Union[Dict[str, Any], nn.Module]] = None,
        test_cfg: Optional[Dict[str, Any]] = None,
        init_cfg: Optional[Dict[str, Any]] = None,
    ) -> None:
        super().__init__(
            data_preprocessor=_build(data_preprocessor or dict(type='VideoTextDataPreprocessor')),
            init_cfg=init_cfg,
        )
        self.test_cfg = PredictSettings.from_cfg(test_cfg)
        self.video_encoder = _build(video_encoder)
        self.text_encoder = _build(text_encoder)
        self._uncached: Dict[str, bool] = (
            dict(cache=False)
            if 'cache' in inspect.signature(self.text_encoder.forward).parameters
            else {}
        )
        self.fusion = _build_fusion(fusion, self.text_encoder) if fusion is not None else None
        if not 0.0 <= fusion_grad_scale <= 1.0:
            raise ValueError(f'fusion_grad_scale must lie in [0, 1], got {fusion_grad_scale}')
        self.fusion_grad_scale = fusion_grad_scale
        if self.fusion is not None and self.fusion.embed_dims != self.text_encoder.embed_dims:
            raise ValueError(
                f'fusion width {self.fusion.embed_dims} != text encoder width '
                f'{self.text_encoder.embed_dims}'
            )
        self.video_proj = self.text_proj = None
        if embed_dim is not None:
            self.video_proj = nn.Linear(_declared(self.video_encoder, 'embed_dims', int), embed_dim)
            self.text_proj = nn.Linear(_declared(self.text_encoder, 'embed_dims', int), embed_dim)
        self.heads = nn.ModuleDict({name: _build(cfg) for name, cfg in heads.items()})
        self.paused_heads: FrozenSet[str] = frozenset()
        self._check_task_heads()

    def pause_heads(self, names: Iterable[str]) -> None:
        """Leave out the named heads from :meth:`loss` (and their cost) until the next call;
        ``pause_heads(())`` turns every head back on. Prediction is unaffected."""
        paused = frozenset(names)
        unknown = sorted(paused - set(self.heads))
        if unknown:
            raise KeyError(f'cannot pause {unknown}: the heads are {", ".join(self.heads)}')
        if paused == set(self.heads):
            raise ValueError('cannot pause every head: the training step would have no loss')
        self.paused_heads = paused

    def _check_task_heads(self) -> None:
        """The heads ``test_cfg`` names for its task must exist."""
        cfg = self.test_cfg
        if cfg.task == 'qa':
            key, head = 'answer_head', cfg.answer_head
        elif cfg.rerank_topk or cfg.option_weights.get('itm'):
            key, head = 'rerank_head', cfg.rerank_head
        else:
            return
        if head not in self.heads:
            raise ValueError(
                f'model.test_cfg.{key}={head!r} (task {cfg.task!r}) is not one of the heads: '
                f'{", ".join(self.heads)}'
            )

    def forward(
        self,
        inputs: Dict[str, torch.Tensor],
        data_samples: Optional[List[VideoTextDataSample]] = None,
        mode: str = 'tensor',
    ) -> Union[
        Dict[str, torch.Tensor],
        List[VideoTextDataSample],
        Tuple[Optional[torch.Tensor], Optional[torch.Tensor]],
    ]:
        """Dispatch to ``loss``, ``predict`` (both need the data samples) or ``_forward``
        (``mode='tensor'``)."""
        if mode == 'tensor':
            return self._forward(inputs)
        if mode not in ('loss', 'predict'):
            raise RuntimeError(f'invalid mode {mode!r}: use "loss", "predict" or "tensor"')
        if data_samples is None:
            raise ValueError(f'mode={mode!r} needs the data_samples of the batch')
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        return self.predict(inputs, data_samples)

    def embed_video(self, video: torch.Tensor) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """(B, C, T, H, W) -> ((B, N, Dv) tokens, (B, E) normalised embeddings or None)."""
        tokens, pooled = self.video_encoder(video)
        return tokens, _project(self.video_proj, pooled)

    def embed_text(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """(B, L) ids and mask -> ((B, L, D) tokens, (B, E) normalised embeddings or None)."""
        tokens, pooled = self.text_encoder(input_ids, attention_mask)
        return tokens, _project(self.text_proj, pooled)

    def _encode_text_for_fusion(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """The text encoder on text only the fusion reads (MLM's masked captions), run without
        autograd when ``fusion_grad_scale`` is 0: no gradient would flow back through it."""
        with torch.set_grad_enabled(torch.is_grad_enabled() and self.fusion_grad_scale > 0):
            encoded: Tuple[torch.Tensor, torch.Tensor] = self.text_encoder(
                input_ids, attention_mask, **self._uncached
            )
        return encoded

    def _fuse(
        self, text_tokens: torch.Tensor, text_mask: torch.Tensor, video_tokens: torch.Tensor
    ) -> torch.Tensor:
        if self.fusion is None:
            raise RuntimeError('a head asked for fusion but the model has no `fusion` encoder')
        scale = self.fusion_grad_scale
        fused: torch.Tensor = self.fusion(
            _scale_grad(text_tokens, scale), text_mask, _scale_grad(video_tokens, scale)
        )
        return fused

    def extract_feat(self, inputs: Dict[str, torch.Tensor]) -> VideoTextFeatures:
        """Encode a batch of paired clips and texts (one text per clip) into the shared bundle."""
        video_tokens, video_embed = self.embed_video(inputs['video'])
        text_tokens, text_embed = self.embed_text(inputs['input_ids'], inputs['attention_mask'])
        return VideoTextFeatures(
            video_tokens=video_tokens,
            video_embed=video_embed,
            text_tokens=text_tokens,
            text_mask=inputs['attention_mask'],
            text_embed=text_embed,
            inputs=inputs,
            fuse=self._fuse,
            encode_text=self._encode_text_for_fusion,
            word_embeddings=_declared(self.text_encoder, 'word_embeddings', nn.Embedding),
        )

    def loss(
        self, inputs: Dict[str, torch.Tensor], data_samples: List[VideoTextDataSample]
    ) -> Dict[str, torch.Tensor]:
        """Sum of the heads' loss dicts (keys namespaced by each head), paused heads left out."""
        feats = self.extract_feat(inputs)
        losses: Dict[str, torch.Tensor] = {}
        for name, head in self.heads.items():
            if name in self.paused_heads:
                continue
            # torch types a submodule's attribute as Tensor | Module; a head's methods are unseen.
            for key, value in head.loss(feats, data_samples).items():  # type: ignore[operator]
                if key in losses:
                    raise KeyError(f'head {name!r} returns {key!r}, already returned by another')
                losses[key] = value
        return losses

    def predict(
        self, inputs: Dict[str, torch.Tensor], data_samples: List[VideoTextDataSample]
    ) -> List[VideoTextDataSample]:
        """Fill the data samples with the predictions of ``test_cfg.task``.

        ``'retrieval'``: :meth:`embed_for_retrieval`; ``'qa'``: the head named by
        ``test_cfg.answer_head`` gets the shared features (one text per clip) and sets its
        predictions; ``'multiple_choice'``: :meth:`choose_options`.
        """
        task = self.test_cfg.task
        if task == 'qa':
            head = self.heads[self.test_cfg.answer_head]
            # torch types a submodule's attribute as Tensor | Module; a head's methods are unseen.
            samples: List[VideoTextDataSample] = head.predict(  # type: ignore[operator]
                self.extract_feat(inputs), data_samples
            )
            return samples
        if task == 'multiple_choice':
            return self.choose_options(inputs, data_samples)
        return self.embed_for_retrieval(inputs, data_samples)

    def embed_for_retrieval(
        self, inputs: Dict[str, torch.Tensor], data_samples: List[VideoTextDataSample]
    ) -> List[VideoTextDataSample]:
        """Embed clips and their captions (K_i per clip) for retrieval.

        Sets on each data sample ``video_embed`` (E,), ``text_embeds`` (K_i, E); with
        ``test_cfg.reverse_probe``, ``video_embed_reversed`` (E,); with ``test_cfg.rerank_topk``,
        ``video_tokens`` (N, Dv), ``text_tokens`` (K_i, L, D) and ``text_mask`` (K_i, L).
        """
        video_tokens, video_embed = self.embed_video(inputs['video'])
        text_tokens, text_embed = self.embed_text(inputs['input_ids'], inputs['attention_mask'])
        video_embed = _joint(video_embed, 'retrieval')
        counts = inputs['text_counts'].tolist()
        text_embeds = torch.split(_joint(text_embed, 'retrieval'), counts)
        reversed_embed = None
        if self.test_cfg.reverse_probe:
            _, reversed_embed = self.embed_video(inputs['video'].flip(2))
        keep_tokens = self.test_cfg.rerank_topk > 0
        if keep_tokens:
            text_token_chunks = torch.split(text_tokens, counts)
            text_mask_chunks = torch.split(inputs['attention_mask'], counts)
        for i, sample in enumerate(data_samples):
            sample.video_embed = video_embed[i]
            sample.text_embeds = text_embeds[i]
            if reversed_embed is not None:
                sample.video_embed_reversed = reversed_embed[i]
            if keep_tokens:
                sample.video_tokens = video_tokens[i]
                sample.text_tokens, sample.text_mask = text_token_chunks[i], text_mask_chunks[i]
        return data_samples

    def choose_options(
        self, inputs: Dict[str, torch.Tensor], data_samples: List[VideoTextDataSample]
    ) -> List[VideoTextDataSample]:
        """Score each clip's K_i texts (its options) and pick the best.

        The score of an option is ``itc`` x its similarity with the clip plus ``itm`` x the
        matching head's score (weights from ``test_cfg.option_weights``; a zero weight skips
        that part). Sets ``option_scores`` (K_i,) and ``pred_label`` on each data sample.
        """
        weights, task = self.test_cfg.option_weights, self.test_cfg.task
        video_tokens, video_embed = self.embed_video(inputs['video'])
        text_tokens, text_embed = self.embed_text(inputs['input_ids'], inputs['attention_mask'])
        counts = inputs['text_counts'].tolist()
        owner = torch.repeat_interleave(
            torch.arange(len(counts), device=text_tokens.device),
            inputs['text_counts'].to(text_tokens.device),
        )  # (sum K,)
        scores = text_tokens.new_zeros(len(owner))
        if weights.get('itc', 0):
            text_embed, video_embed = _joint(text_embed, task), _joint(video_embed, task)
            scores += weights['itc'] * (text_embed * video_embed[owner]).sum(-1)
        if weights.get('itm', 0):
            scores += weights['itm'] * self.match_scores(
                text_tokens, inputs['attention_mask'], video_tokens[owner]
            )
        for sample, option_scores in zip(data_samples, torch.split(scores, counts)):
            sample.option_scores = option_scores
            sample.pred_label = int(option_scores.argmax())
        return data_samples

    def match_scores(
        self, text_tokens: torch.Tensor, text_mask: torch.Tensor, video_tokens: torch.Tensor
    ) -> torch.Tensor:
        """Cross-encoder score of each (text, clip) pair: the matching head's logit margin.

        Args:
            text_tokens: (M, L, D) token features of M texts.
            text_mask: (M, L) 1 for real tokens.
            video_tokens: (M, N, Dv) visual tokens of the M clips they are paired with.

        Returns:
            (M,) ``logit(match) - logit(no match)`` of the head ``test_cfg.rerank_head``.
        """
        head = self.heads[self.test_cfg.rerank_head]
        # torch types a submodule's attribute as Tensor | Module; a head's methods are unseen.
        margin: torch.Tensor = head.match_margin(  # type: ignore[operator]
            self._fuse(text_tokens, text_mask, video_tokens)[:, 0]
        )
        return margin

    def similarity_scale(self) -> float:
        """The contrastive head's learned inverse temperature (1 without one): similarity x
        this is the contrastive logit, a log-odds like the matching head's logit margin, so
        re-ranking adds the two on one scale."""
        for head in self.heads.values():
            scale = getattr(head, 'logit_scale', None)
            if scale is not None:
                return float(scale)
        return 1.0

    def _forward(
        self, inputs: Dict[str, torch.Tensor]
    ) -> Tuple[Optional[torch.Tensor], Optional[torch.Tensor]]:
        """((B, E) video embeddings, (sum K, E) text embeddings), None without ``embed_dim``."""
        _, video_embed = self.embed_video(inputs['video'])
        _, text_embed = self.embed_text(inputs['input_ids'], inputs['attention_mask'])
        return video_embed, text_embed
