"""What a model's ``predict`` does: the task named in ``model.test_cfg`` and its settings."""

import math
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional

from vtp.utils.checks import require_int

DEFAULT_TASK = 'retrieval'

TASK_KEYS = {
    'retrieval': ('rerank_topk', 'rerank_head', 'reverse_probe'),
    'qa': ('answer_head',),
    'multiple_choice': ('option_weights', 'rerank_head'),
}
"""The ``test_cfg`` keys each task reads (besides ``task``)."""

OPTION_PARTS = ('itc', 'itm')


@dataclass(frozen=True)
class PredictSettings:
    """A model's validated ``test_cfg``: the task ``predict`` serves and that task's settings.

    Attributes:
        task: ``'retrieval'`` (the default: embed clips and captions), ``'qa'`` (answer with a
            head) or ``'multiple_choice'`` (score each clip's options).
        rerank_topk: retrieval: re-score the top k candidates of every query with the matching
            head (``RetrievalValLoop`` / ``RetrievalTestLoop``); 0 ranks by similarity only.
        rerank_head: retrieval and multiple choice: the matching head that scores
            (text, clip) pairs.
        reverse_probe: retrieval: also embed every clip played backwards (temporal-order
            probe).
        answer_head: qa: the head whose ``predict`` answers.
        option_weights: multiple choice (required): ``{'itc': a, 'itm': b}``, an option's
            score being ``a`` x its similarity with the clip + ``b`` x the matching score.
    """

    task: str = DEFAULT_TASK
    rerank_topk: int = 0
    rerank_head: str = 'itm'
    reverse_probe: bool = False
    answer_head: str = 'qa'
    option_weights: Dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_cfg(cls, test_cfg: Optional[Mapping[str, Any]]) -> 'PredictSettings':
        """Validate ``test_cfg``: an unknown task, a key the task does not read (a typo, or
        ``option_weights`` for retrieval) or a bad value is a ``ValueError`` naming the task's
        keys."""
        cfg = dict(test_cfg or {})
        task = cfg.pop('task', DEFAULT_TASK)
        if task not in TASK_KEYS:
            raise ValueError(
                f'model.test_cfg.task must be one of {", ".join(map(repr, TASK_KEYS))}, '
                f'got {task!r}'
            )
        known = TASK_KEYS[task]
        unknown = sorted(set(cfg) - set(known))
        if unknown:
            raise ValueError(
                f'model.test_cfg: {", ".join(map(repr, unknown))} not read by task {task!r}, '
                f'whose keys are task, {", ".join(known)}'
            )
        settings = cls(task=task, **cfg)
        settings._check()
        return settings

    def _check(self) -> None:
        require_int('model.test_cfg.rerank_topk', self.rerank_topk, 0)
        if not isinstance(self.reverse_probe, bool):  # 'no' would be true
            raise ValueError(
                f'model.test_cfg.reverse_probe must be True or False, got {self.reverse_probe!r}'
            )
        for key in ('rerank_head', 'answer_head'):
            if not isinstance(getattr(self, key), str):
                raise ValueError(
                    f'model.test_cfg.{key} must name a head, got {getattr(self, key)!r}'
                )
        if self.task != 'multiple_choice':
            return
        weights = self.option_weights
        if not isinstance(weights, Mapping) or not all(
            isinstance(w, (int, float)) and not isinstance(w, bool) and math.isfinite(w)
            for w in weights.values()
        ):
            raise ValueError(
                'model.test_cfg.option_weights (task multiple_choice) must be a dict of '
                f'finite numbers, got {weights!r}'
            )
        weights = dict(weights)
        if not weights or set(weights) - set(OPTION_PARTS) or not any(weights.values()):
            raise ValueError(
                'model.test_cfg.option_weights (task multiple_choice) must weigh '
                f'{" and/or ".join(OPTION_PARTS)} with a non-zero weight, got {weights!r}'
            )
