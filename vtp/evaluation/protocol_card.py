"""The evaluation protocol of a config in one table row, so its numbers can be set beside papers'.

Papers differ in frames, resolution, split, re-ranking and DSL, each worth points of R@1; the
card reads them from the config itself (never from a hand-written description that can drift).
"""

from typing import Any, Dict, Iterator, List, Optional

from mmengine.config import ConfigDict

from vtp.structures import PredictSettings


def _pipelines(dataset: Dict[str, Any]) -> Iterator[List[Dict[str, Any]]]:
    """The pipelines of a dataset config, and of the corpora of a mixed one."""
    if dataset.get('pipeline'):
        yield dataset['pipeline']
    for part in dataset.get('datasets', ()):
        yield from _pipelines(part)


def _find(pipeline: List[Dict[str, Any]], *types: str) -> Optional[Dict[str, Any]]:
    return next((t for t in pipeline if t.get('type') in types), None)


def _frames(pipeline: List[Dict[str, Any]]) -> str:
    """``'4 (random in segments) at 224 px'``: frames, their sampling and the crop size."""
    sample = _find(pipeline, 'SampleFrames')
    crop = _find(pipeline, 'RandomCrop', 'CenterCrop')
    image = _find(pipeline, 'LoadImage')
    if sample is not None:
        where = 'segment centres' if sample.get('test_mode') else 'random in segments'
        frames = f'{sample["num_frames"]} ({where})'
    elif image is not None:
        frames = f'{image.get("num_frames", 1)} (still image)'
    else:
        frames = '?'
    return f'{frames} at {crop["size"]} px' if crop is not None else frames


def _all_frames(dataset: Optional[Dict[str, Any]]) -> str:
    """The frames of every corpus of ``dataset`` (distinct descriptions joined by ``+``)."""
    described = dict.fromkeys(_frames(p) for p in _pipelines(dataset or {}))
    return ' + '.join(described) or '-'


def _split(dataset: Optional[Dict[str, Any]]) -> str:
    if not dataset:
        return '-'
    if dataset.get('datasets'):
        return ' + '.join(_split(d) for d in dataset['datasets'])
    parts = [dataset.get('ann_file'), dataset.get('split_file')]
    return ' '.join(str(p) for p in parts if p) or '?'


def protocol_card(cfg: ConfigDict) -> Dict[str, str]:
    """What a reader needs to compare this config's numbers with a paper's table.

    Returns:
        ``task``, ``train frames`` / ``test frames`` (count, sampling and crop size),
        ``train split`` / ``test split`` (annotation and split files), ``re-ranking`` (top k
        re-scored by the matching head, or ``no``) and ``DSL`` (reported beside the plain
        numbers, or ``no``).
    """
    settings = PredictSettings.from_cfg(cfg.model.get('test_cfg'))
    train = (cfg.get('train_dataloader') or {}).get('dataset')
    test = (cfg.get('test_dataloader') or cfg.get('val_dataloader') or {}).get('dataset')
    evaluators = cfg.get('test_evaluator') or cfg.get('val_evaluator') or []
    evaluators = [evaluators] if isinstance(evaluators, dict) else list(evaluators)
    dsl = [e['dsl_temperature'] for e in evaluators if e.get('dsl_temperature')]
    if settings.task == 'qa':
        task = 'open-ended QA'
    elif settings.task == 'multiple_choice':
        weights = settings.option_weights
        task = 'multiple choice (' + ' + '.join(f'{w:g} x {k}' for k, w in weights.items()) + ')'
    else:
        task = 'retrieval'
    rerank = settings.rerank_topk
    return {
        'task': task,
        'train frames': _all_frames(train),
        'test frames': _all_frames(test),
        'train split': _split(train),
        'test split': _split(test),
        're-ranking': f'top {rerank}' if rerank and task == 'retrieval' else 'no',
        'DSL': f'beside, inverse temperature {dsl[0]:g}' if dsl else 'no',
    }


def format_card(card: Dict[str, str]) -> str:
    """One log line: ``protocol: task retrieval | train frames 4 ... | DSL no``."""
    return 'protocol: ' + ' | '.join(f'{key} {value}' for key, value in card.items())
