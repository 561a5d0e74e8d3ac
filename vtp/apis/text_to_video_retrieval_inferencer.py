"""Search a gallery of videos with text: ``TextToVideoRetrievalInferencer(...)('a cat')``."""

from typing import Any, Dict, Iterator, List, Optional, Sequence, Union

from mmengine.config import Config
from torch import nn

from vtp.apis.feature_cache import cached_video_features
from vtp.apis.video_items import gallery_items
from vtp.apis.video_text_inferencer import VideoTextInferencer, text_features


class TextToVideoRetrievalInferencer(VideoTextInferencer):
    """Rank a gallery of videos for each text query.

    The gallery's clips are embedded once (through the config's test pipeline, as
    ``tools/test.py`` embeds them) and, with ``gallery_cache``, kept in a file that later
    inferencers reuse while the config, the weights and the gallery's files (paths, sizes,
    modification times) are unchanged; a stale file is recomputed, with a log line naming what
    changed. Unreadable videos are logged and left out (``self.gallery.failures``).

    Example::

        inferencer = TextToVideoRetrievalInferencer(
            'configs/pretrain/moving_shapes.py', 'work_dirs/ms/iter_700.pth',
            gallery='data/moving_shapes/videos/test', gallery_cache='work_dirs/ms/test.pth')
        inferencer('a red circle moving left', topk=3)
        # [{'text': 'a red circle moving left', 'matches': [{'filename': ..., 'score': ...,
        #   'similarity': ..., 'rank': 1}, ...]}]

    Args:
        model: config file or ``Config``, or a built model (see :class:`VideoTextInferencer`).
        gallery: a folder of videos, a list of video paths, or an annotation file in the
            format of the config's test dataset.
        weights: the checkpoint.
        gallery_cache: file where the gallery's features are kept and reused.
        **kwargs: :class:`VideoTextInferencer` arguments (``device``, ``batch_size``,
            ``num_workers``, ``config``, ``show_progress``).

    Call arguments: ``inputs`` (one text or a list), ``topk`` (default 5), ``rerank_topk``
    (re-score each query's top k with the matching head, as the retrieval test loop does;
    None: the model's ``test_cfg.rerank_topk``; 0: similarity only), ``batch_size``.
    """

    postprocess_kwargs = {'topk', 'rerank_topk'}

    def __init__(
        self,
        model: Union[str, Config, nn.Module],
        gallery: Union[str, Sequence[str]],
        weights: Optional[str] = None,
        gallery_cache: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(model, weights, **kwargs)
        items = gallery_items(gallery, self.cfg)
        self.gallery = cached_video_features(
            gallery_cache, self.fingerprint(items), lambda: self.embed_videos(items)
        )

    def _inputs_to_list(self, inputs: Union[str, Sequence[str]]) -> List[str]:
        return [inputs] if isinstance(inputs, str) else list(inputs)

    def preprocess(
        self, inputs: List[str], batch_size: int = 1, **kwargs: Any
    ) -> Iterator[List[str]]:
        for start in range(0, len(inputs), batch_size):
            yield inputs[start : start + batch_size]

    def forward(self, inputs: List[str], **kwargs: Any) -> List[Dict[str, Any]]:
        return self.embed_text_batch(inputs)

    def postprocess(
        self,
        preds: List[Dict[str, Any]],
        visualization: Any = None,
        return_datasamples: bool = False,
        topk: int = 5,
        rerank_topk: Optional[int] = None,
    ) -> List[Dict[str, Any]]:
        """Per query: ``{'text', 'matches'}``, each match ``{'filename', 'video_id' (when
        the gallery is an annotation file), 'rank', 'score', 'similarity', 'reranked'}``, best
        first (:meth:`~VideoTextInferencer.rank` says what ``score`` is)."""
        texts = text_features(preds)
        ranked = self.rank(
            texts.embeds @ self.gallery.embeds.t(),  # (Q, E) x (E, V) -> (Q, V)
            topk,
            rerank_topk,
            lambda: self.t2v_scorer(texts, self.gallery),
        )
        results = []
        for text, matches in zip(texts.texts, ranked):
            out = []
            for match in matches:
                item = self.gallery.items[match.pop('index')]
                video_id = {'video_id': item['video_id']} if 'video_id' in item else {}
                out.append(dict(filename=item['filename'], **video_id, **match))
            results.append(dict(text=text, matches=out))
        return results
