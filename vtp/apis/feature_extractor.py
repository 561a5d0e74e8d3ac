"""Clip and text embeddings of a trained model: ``FeatureExtractor(...)(['a.mp4', 'b.mp4'])``."""

from typing import Any, Dict, Iterator, List, Sequence, Union

from vtp.apis.video_items import Item, gallery_items
from vtp.apis.video_text_inferencer import VideoTextInferencer

MODALITIES = ('video', 'text')


class FeatureExtractor(VideoTextInferencer):
    """Embed videos or texts into the model's joint space, as the retrieval test loop does.

    Example::

        extractor = FeatureExtractor('configs/pretrain/moving_shapes.py', 'iter_700.pth')
        videos = extractor('data/moving_shapes/videos/test')  # a folder, a path or a list
        texts = extractor(['a red circle moving left'], modality='text')
        videos[0]['embedding'] @ texts[0]['embedding']  # their cosine similarity

    Results, one per input and in input order: for a video ``{'filename', 'embedding' (E,),
    'tokens' (N, Dv) or None, 'duration' (s), 'frames' (indices used)}`` or ``{'filename',
    'error'}`` when it cannot be read; for a text ``{'text', 'embedding' (E,), 'tokens'
    (L, D) or None, 'mask' (L,) or None}``. Tokens are kept when the model has a fusion
    encoder (they are what its matching head reads).

    Args: those of :class:`VideoTextInferencer`.
    """

    preprocess_kwargs = {'modality'}

    def __call__(self, inputs: Any, *args: Any, modality: str = 'video', **kwargs: Any) -> Any:
        """Embed ``inputs``, videos or texts (``modality``)."""
        if modality not in MODALITIES:
            raise ValueError(f'modality must be one of {MODALITIES}, got {modality!r}')
        self._modality = modality
        return super().__call__(inputs, *args, modality=modality, **kwargs)

    def _inputs_to_list(self, inputs: Union[str, Sequence[str]]) -> List[Any]:
        if self._modality == 'text':
            return [inputs] if isinstance(inputs, str) else list(inputs)
        return gallery_items(inputs, self.cfg)

    def preprocess(
        self, inputs: List[Any], batch_size: int = 1, modality: str = 'video', **kwargs: Any
    ) -> Iterator[Dict[str, Any]]:
        if modality == 'video':
            for batch in self.video_batches(inputs, batch_size):
                yield dict(modality=modality, batch=batch)
        else:
            for start in range(0, len(inputs), batch_size):
                yield dict(modality=modality, batch=inputs[start : start + batch_size])

    def forward(self, inputs: Dict[str, Any], **kwargs: Any) -> List[Dict[str, Any]]:
        if inputs['modality'] == 'video':
            return self.embed_video_batch(inputs['batch'])
        return self.embed_text_batch(inputs['batch'])

    def postprocess(
        self, preds: List[Dict[str, Any]], visualization: Any = None, *args: Any, **kwargs: Any
    ) -> List[Dict[str, Any]]:
        results = []
        for pred in preds:
            if 'text' in pred:
                results.append(
                    dict(
                        text=pred['text'],
                        embedding=pred['embed'],
                        tokens=pred['tokens'],
                        mask=pred['mask'],
                    )
                )
            elif 'error' in pred:
                self.logger.warning(f'unreadable video: {pred["error"]}')
                results.append(dict(filename=pred['item']['filename'], error=pred['error']))
            else:
                item: Item = pred['item']
                results.append(
                    dict(
                        filename=item['filename'],
                        embedding=pred['embed'],
                        tokens=pred['tokens'],
                        duration=pred['duration'],
                        frames=pred['frames'],
                    )
                )
        return results
