"""The data sample: everything one clip's sample may carry, from its annotation to predictions."""

from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, Dict, Mapping, Optional, Tuple, Type, Union

import numpy as np
import torch
from mmengine.structures import BaseDataElement

INPUT_KEYS = ('input_ids', 'attention_mask', 'mlm_input_ids', 'mlm_labels')
"""Text tensors a packed sample gives the model in ``inputs``, each (K, L): token ids, their
attention mask, and the MLM-masked ids with their labels (-100 where not masked)."""


@dataclass(frozen=True)
class Field:
    """What one field of :class:`VideoTextDataSample` holds.

    Attributes:
        kind: ``'metainfo'`` (annotation and identity, packed from the dataset) or ``'data'``
            (model predictions, set by ``predict``).
        types: the accepted value types.
        doc: meaning and, for tensors, shape.
        ndim: the number of dimensions of a tensor field.
        items: the type of every item of a list field.
    """

    kind: str
    types: Tuple[Type[Any], ...]
    doc: str
    ndim: Optional[int] = None
    items: Optional[Type[Any]] = None


INT, TEXT, TENSOR = (Integral,), (str,), (torch.Tensor,)

FIELDS: Dict[str, Field] = {
    # Identity of the clip and its texts (metainfo, from the dataset).
    'sample_idx': Field('metainfo', INT, 'index of the sample in its dataset'),
    'video_id': Field('metainfo', TEXT, 'id of the video in its corpus'),
    'filename': Field('metainfo', TEXT, 'path of the media file (video or image)'),
    'text': Field(
        'metainfo',
        (str, list, tuple),
        'the K texts tokenized into ``inputs``: captions (retrieval, pre-training), the '
        'question (QA) or the options (multiple choice); one string or a list of strings',
        items=str,
    ),
    'corpus': Field('metainfo', TEXT, "the corpus's name in a ``MixedDataset``"),
    # Targets (metainfo, from the annotation).
    'answer': Field('metainfo', TEXT, 'open-ended QA: the true answer, as annotated'),
    'label': Field(
        'metainfo',
        INT,
        'index of the true class: open-ended QA, the answer in the answer vocabulary (-1 when '
        'outside it); multiple choice, the true option in ``text``',
    ),
    'question_id': Field('metainfo', (Integral, str), 'id of the question in its annotation'),
    'question_type': Field('metainfo', TEXT, 'kind of question (what, who, how, ...)'),
    # Health (metainfo, set by the dataset).
    'failures': Field(
        'metainfo',
        (list,),
        "media reads that failed for this sample, ``[{'path', 'reason'}]`` (training replaces "
        'the sample; ``DataHealthHook`` logs them)',
        items=dict,
    ),
    'missing': Field(
        'metainfo',
        (bool, np.bool_),
        'the test sample could not be read: a placeholder whose predictions metrics ignore '
        '(its queries count as misses)',
    ),
    # Predictions (data, set by the model's ``predict``).
    'video_embed': Field('data', TENSOR, '(E,) L2-normalised clip embedding', ndim=1),
    'video_embed_reversed': Field(
        'data', TENSOR, '(E,) embedding of the clip played backwards (reverse probe)', ndim=1
    ),
    'text_embeds': Field('data', TENSOR, '(K, E) L2-normalised text embeddings', ndim=2),
    'video_tokens': Field('data', TENSOR, '(N, Dv) visual tokens, kept for re-ranking', ndim=2),
    'text_tokens': Field('data', TENSOR, '(K, L, D) text tokens, kept for re-ranking', ndim=3),
    'text_mask': Field('data', TENSOR, '(K, L) 1 for real text tokens, 0 for padding', ndim=2),
    'pred_label': Field(
        'data', INT, 'index of the predicted class (answer in the vocabulary, or option)'
    ),
    'pred_score': Field('data', (Real,), 'probability of ``pred_label`` (open-ended QA)'),
    'answer_scores': Field(
        'data', TENSOR, '(K,) probability of each answer of the vocabulary (open-ended QA)', ndim=1
    ),
    'option_scores': Field('data', TENSOR, '(K,) score of each option (multiple choice)', ndim=1),
}
"""Every field a :class:`VideoTextDataSample` may carry, each documented here once."""

META_FIELDS = tuple(name for name, f in FIELDS.items() if f.kind == 'metainfo')


def check_field(name: str, value: Any) -> None:
    """Raise a ``TypeError`` / ``ValueError`` naming ``name`` when ``value`` does not fit the
    field's type or shape (unknown names are not checked)."""
    field = FIELDS.get(name)
    if field is None:
        return
    where = f'VideoTextDataSample.{name} ({field.doc})'
    if not isinstance(value, field.types) or isinstance(value, bool) and bool not in field.types:
        expected = ' or '.join(t.__name__ for t in field.types)
        raise TypeError(f'{where}: expected {expected}, got {type(value).__name__}')
    if field.ndim is not None and value.dim() != field.ndim:
        raise ValueError(
            f'{where}: expected a {field.ndim}-d tensor, got shape {tuple(value.shape)}'
        )
    if field.items is not None and not isinstance(value, str):
        wrong = [item for item in value if not isinstance(item, field.items)]
        if wrong:
            raise TypeError(
                f'{where}: expected items of type {field.items.__name__}, '
                f'got {type(wrong[0]).__name__}'
            )


class VideoTextDataSample(BaseDataElement):
    """One sample's annotation, identity and predictions, as mmengine's data element.

    The fields it may carry are listed, with their meaning and shape, in :data:`FIELDS`:
    ``PackVideoTextInputs`` packs the annotation fields (metainfo) a dataset gives, the model's
    ``predict`` sets the prediction fields (data), and heads, metrics, loops and hooks read them
    as attributes (``sample.label``, ``sample.video_embed``). Setting a known field checks its
    type and shape, so a wrong value fails where it is made, naming the field; a known field
    always lands in its own kind (metainfo or data) however it is set. Other fields (a
    pipeline's ``meta_keys`` extras) are stored unchecked.
    """

    def set_field(
        self,
        value: Any,
        name: str,
        dtype: Optional[Union[Type[Any], Tuple[Type[Any], ...]]] = None,
        field_type: str = 'data',
    ) -> None:
        """mmengine's ``set_field``, checking known fields and keeping them in their kind."""
        if name in FIELDS:
            check_field(name, value)
            field_type = FIELDS[name].kind
        super().set_field(value, name, dtype=dtype, field_type=field_type)

    @classmethod
    def from_dict(cls, fields: Mapping[str, Any]) -> 'VideoTextDataSample':
        """The sample back from ``to_dict()`` (what mmengine's evaluator gives metrics);
        unknown fields become metainfo."""
        sample = cls()
        for name, value in fields.items():
            sample.set_field(value, name, field_type='metainfo')
        return sample
