"""Caption a video from a gallery of texts: ``VideoToTextRetrievalInferencer(...)('a.mp4')``."""

import os
from typing import Any, Dict, Iterator, List, Optional, Sequence, Union

from mmengine.config import Config
from torch import nn

from vtp.apis.video_items import Item, annotation_items, gallery_items
from vtp.apis.video_text_inferencer import VideoTextInferencer, video_features


class VideoToTextRetrievalInferencer(VideoTextInferencer):
    """Rank a gallery of texts for each query video.

    The gallery's texts are embedded once, when the inferencer is built. Query videos go
    through the config's test pipeline; an unreadable one is reported in the results
    (``error``), not raised.

    Example::

        inferencer = VideoToTextRetrievalInferencer(
            'configs/pretrain/moving_shapes.py', 'work_dirs/ms/iter_700.pth',
            gallery=['a red circle moving left', 'a blue square moving up'])
        inferencer('data/moving_shapes/videos/test/00003.mp4', topk=1)
        # [{'filename': ..., 'matches': [{'text': 'a red circle moving left', 'rank': 1,
        #   'score': ..., 'similarity': ...}]}]

    Args:
        model: config file or ``Config``, or a built model (see :class:`VideoTextInferencer`).
        gallery: a list of texts, or an annotation file in the format of the config's test
            dataset (every caption of it, in order).
        weights: the checkpoint.
        **kwargs: :class:`VideoTextInferencer` arguments.

    Call arguments: ``inputs`` (a video path, a folder of videos or a list of paths),
    ``topk`` (default 5), ``rerank_topk`` (as for
    :class:`~vtp.apis.TextToVideoRetrievalInferencer`), ``batch_size``.
    """

    postprocess_kwargs = {'topk', 'rerank_topk'}

    def __init__(
        self,
        model: Union[str, Config, nn.Module],
        gallery: Union[str, Sequence[str]],
        weights: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(model, weights, **kwargs)
        if isinstance(gallery, os.PathLike):
            gallery = os.fspath(gallery)
        if isinstance(gallery, str):
            texts = [t for item in annotation_items(self.cfg, gallery) for t in _texts(item)]
        else:
            texts = list(gallery)
        self.gallery = self.embed_texts(texts)

    def _inputs_to_list(self, inputs: Union[str, Sequence[str]]) -> List[Item]:
        return gallery_items(inputs, self.cfg)

    def preprocess(
        self, inputs: List[Item], batch_size: int = 1, **kwargs: Any
    ) -> Iterator[Dict[str, Any]]:
        yield from self.video_batches(inputs, batch_size)

    def forward(self, inputs: Dict[str, Any], **kwargs: Any) -> List[Dict[str, Any]]:
        return self.embed_video_batch(inputs)

    def postprocess(
        self,
        preds: List[Dict[str, Any]],
        visualization: Any = None,
        return_datasamples: bool = False,
        topk: int = 5,
        rerank_topk: Optional[int] = None,
    ) -> List[Dict[str, Any]]:
        """Per query video, in input order: ``{'filename', 'matches'}`` (each match
        ``{'text', 'rank', 'score', 'similarity', 'reranked'}``, best first), or
        ``{'filename', 'error'}`` for a video that could not be read."""
        read = [p for p in preds if 'embed' in p]
        ranked: Dict[int, List[Dict[str, Any]]] = {}
        if read:
            videos = video_features(read, self.logger)
            matches = self.rank(
                videos.embeds @ self.gallery.embeds.t(),  # (V, E) x (E, T) -> (V, T)
                topk,
                rerank_topk,
                lambda: self.v2t_scorer(self.gallery, videos),
            )
            ranked = {int(p['index']): m for p, m in zip(read, matches)}
        results = []
        for pred in preds:
            if 'error' in pred:
                self.logger.warning(f'unreadable video: {pred["error"]}')
                results.append(dict(filename=pred['item']['filename'], error=pred['error']))
                continue
            out = [
                dict(text=self.gallery.texts[m.pop('index')], **m)
                for m in ranked[int(pred['index'])]
            ]
            results.append(dict(filename=pred['item']['filename'], matches=out))
        return results


def _texts(item: Item) -> List[str]:
    text = item.get('text', [])
    return [text] if isinstance(text, str) else list(text)
