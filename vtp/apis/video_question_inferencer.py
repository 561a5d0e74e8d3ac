"""The shared part of the inferencers that answer questions about videos (open-ended QA,
multiple choice): questions paired with clips, each clip read once, and the model's ``predict``
run on them exactly as the test loop runs it."""

import os
import os.path as osp
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from torch import nn

from vtp.apis.video_items import VIDEO_EXTENSIONS, Item, gallery_items
from vtp.apis.video_text_inferencer import VideoTextInferencer
from vtp.structures import VideoTextDataSample

QUERY_FIELDS = ('text', 'answer', 'label', 'question_id', 'question_type', 'sample_idx')
"""Fields of an item that belong to its question, not to its clip (several questions may ask
about one clip, which is then read once)."""

Texts = Union[str, Sequence[str]]


class VideoQuestionInferencer(VideoTextInferencer):
    """Ask a model questions about videos: the base of :class:`~vtp.apis.VideoQAInferencer` and
    :class:`~vtp.apis.MultipleChoiceInferencer`.

    A *query* is a video with its text (a question, or a list of options). Each video goes
    once through the video part of the config's test pipeline; each of its queries' texts
    through the text part (``TokenizeText``); the packed samples go through the model's
    ``test_step`` (data preprocessor, then ``predict`` with the config's ``test_cfg``), as the
    test loop sends them. A video that exists but cannot be read gives its queries an ``error``
    result; a video path that does not exist is an error.

    Subclasses name their ``task`` (the ``model.test_cfg.task`` they need), how the texts given
    for a video become queries (:meth:`split_texts`), what a query's text must be
    (:meth:`check_text`) and their results (``postprocess``).

    Args:
        model: config file or ``Config``, or a built model (see :class:`VideoTextInferencer`).
        weights: the checkpoint.
        **kwargs: :class:`VideoTextInferencer` arguments (``batch_size``: clips per batch, and
            questions per forward pass).
    """

    task = ''
    text_name = 'text'

    def __init__(
        self, model: Union[str, Config, nn.Module], weights: Optional[str] = None, **kwargs: Any
    ) -> None:
        super().__init__(model, weights, **kwargs)
        actual = self.model.test_cfg.task
        if actual != self.task:
            where = self.cfg.filename or 'the config'
            raise ValueError(
                f'{type(self).__name__} needs a model whose test_cfg.task is {self.task!r}, '
                f'but {where} sets model.test_cfg.task={actual!r}: use a {self.task} config '
                '(its test_cfg) with this checkpoint'
            )

    # The questions come second, as in mmpretrain's VisualQuestionAnsweringInferencer.
    def __call__(  # type: ignore[override]
        self,
        inputs: Any,
        texts: Optional[Texts] = None,
        return_datasamples: bool = False,
        batch_size: Optional[int] = None,
        **kwargs: Any,
    ) -> Any:
        """Answer the queries of ``inputs`` (see :meth:`queries`), one result per query in
        order; with ``return_datasamples`` the model's data samples instead (the ``error``
        dict for a query whose video cannot be read)."""
        return super().__call__(
            self.queries(inputs, texts), return_datasamples, batch_size, **kwargs
        )

    def queries(self, inputs: Any, texts: Optional[Texts] = None) -> List[Item]:
        """The queries asked, in order.

        Args:
            inputs: a video path, a folder of videos or a list of video paths, each asked
                ``texts``; a list of ``(video, texts)`` pairs (``texts`` None); or an annotation
                file in the format of the config's test dataset, whose samples hold their own
                texts (``texts`` None).
            texts: what every video of ``inputs`` is asked (:meth:`split_texts`).
        """
        if isinstance(inputs, os.PathLike):
            inputs = os.fspath(inputs)
        if isinstance(inputs, str) and texts is None:
            if osp.isdir(inputs) or inputs.lower().endswith(VIDEO_EXTENSIONS):
                raise ValueError(f'{inputs}: no {self.text_name} given for the video(s)')
            return [self._checked(item) for item in gallery_items(inputs, self.cfg)]
        if isinstance(inputs, str):  # the videos of a folder, a path or an annotation file
            asked = [
                ({k: v for k, v in item.items() if k not in QUERY_FIELDS}, texts)
                for item in gallery_items(inputs, self.cfg)
            ]
        elif not isinstance(inputs, Sequence) or not inputs:
            raise ValueError(f'no videos given (got {inputs!r})')
        elif texts is not None:
            asked = [(dict(filename=os.fsdecode(video)), texts) for video in inputs]
        else:
            asked = []
            for entry in inputs:
                if not isinstance(entry, (tuple, list)) or len(entry) != 2:
                    raise ValueError(
                        f'give (video, {self.text_name}) pairs, or video paths and `texts`; '
                        f'got {entry!r}'
                    )
                asked.append((dict(filename=os.fsdecode(entry[0])), entry[1]))
        queries = []
        for video, given in asked:
            if not osp.isfile(video['filename']):
                what = 'not a file' if osp.exists(video['filename']) else 'video not found'
                raise FileNotFoundError(f'{what}: {video["filename"]}')
            split = self.split_texts(given) if given is not None else []
            if not split:
                raise ValueError(f'{video["filename"]}: no {self.text_name} given for the video')
            queries += [self._checked(dict(video, text=text)) for text in split]
        return queries

    def split_texts(self, texts: Texts) -> List[Any]:
        """The texts given for one video -> the text of each of its queries."""
        raise NotImplementedError

    def check_text(self, text: Any) -> Optional[str]:
        """Why a query's text cannot be asked (None: it can)."""
        raise NotImplementedError

    def _checked(self, query: Item) -> Item:
        problem = self.check_text(query.get('text'))
        if problem is not None:
            raise ValueError(f'{query["filename"]}: {problem}')
        return query

    def _inputs_to_list(self, inputs: List[Item]) -> List[Item]:
        return inputs

    def preprocess(
        self, inputs: List[Item], batch_size: int = 1, **kwargs: Any
    ) -> Iterator[Dict[str, Any]]:
        """Batches of ``batch_size`` distinct videos (:meth:`video_batches`), each video with
        its ``queries`` (index in ``inputs``, query)."""
        videos: Dict[Tuple[Any, ...], Item] = {}
        for index, query in enumerate(inputs):
            key = (query['filename'], query.get('start'), query.get('end'))
            if key not in videos:
                clip = {k: v for k, v in query.items() if k not in QUERY_FIELDS}
                videos[key] = dict(clip, queries=[])
            videos[key]['queries'].append((index, query))
        for batch in self.video_batches(list(videos.values()), batch_size):
            yield dict(batch=batch, size=batch_size)

    @torch.no_grad()
    def forward(self, inputs: Dict[str, Any], **kwargs: Any) -> List[Dict[str, Any]]:
        """Per query: ``{'index', 'query'}`` with ``sample`` (the data sample ``predict``
        filled) or ``error`` (its video could not be read)."""
        preds = [
            dict(index=index, query=query, error=b['error'])
            for b in inputs['batch']['failed']
            for index, query in b['item']['queries']
        ]
        asked = [
            (index, query, b['packed'])
            for b in inputs['batch']['read']
            for index, query in b['item']['queries']
        ]
        size = inputs['size']
        for start in range(0, len(asked), size):
            chunk = asked[start : start + size]
            # mmengine's BaseModel is untyped: mypy reads test_step as a submodule attribute.
            samples = self.model.test_step(  # type: ignore[operator]
                pseudo_collate([self.pack_query(query, packed) for _, query, packed in chunk])
            )
            preds += [
                dict(index=index, query=query, sample=sample)
                for (index, query, _), sample in zip(chunk, samples)
            ]
        return sorted(preds, key=lambda p: int(p['index']))

    def pack_query(self, query: Item, packed: Dict[str, Any]) -> Dict[str, Any]:
        """A packed clip (the video pipeline's output) with the tokens of the query's texts
        (K, L) and the query's fields: what the whole test pipeline packs for the sample."""
        text = query['text']
        tokens = self.tokenize([text] if isinstance(text, str) else text)
        metainfo = dict(packed['data_samples'].metainfo)
        metainfo.update({k: query[k] for k in QUERY_FIELDS if k in query})
        return dict(
            inputs=dict(packed['inputs'], **tokens),
            data_samples=VideoTextDataSample(metainfo=metainfo),
        )

    def postprocess(
        self,
        preds: List[Dict[str, Any]],
        visualization: Any = None,
        return_datasamples: bool = False,
        **kwargs: Any,
    ) -> List[Any]:
        """One result per query, in order: :meth:`result` of its data sample, or ``{'filename',
        text_name, 'error'}`` when its video could not be read."""
        results: List[Any] = []
        warned = set()  # one line per unreadable video, however many queries it had
        for pred in preds:
            query = pred['query']
            if 'error' in pred:
                if pred['error'] not in warned:
                    warned.add(pred['error'])
                    self.logger.warning(f'unreadable video: {pred["error"]}')
                results.append(
                    {
                        'filename': query['filename'],
                        self.text_name: query['text'],
                        'error': pred['error'],
                    }
                )
            elif return_datasamples:
                results.append(pred['sample'])
            else:
                results.append(self.result(query, pred['sample'], **kwargs))
        return results

    def result(self, query: Item, sample: VideoTextDataSample, **kwargs: Any) -> Dict[str, Any]:
        """The result of one answered query."""
        raise NotImplementedError
