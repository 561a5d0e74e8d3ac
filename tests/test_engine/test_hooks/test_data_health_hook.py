"""``DataHealthHook`` in evaluation: missing samples are counted, or stop it when strict."""

from types import SimpleNamespace

import pytest
from mmengine.logging import MMLogger
from mmengine.structures import BaseDataElement

from vtp.registry import HOOKS


def evaluate(hook, tmp_path) -> None:
    logger = MMLogger.get_instance('test_data_health_hook', log_file=str(tmp_path / 'log.txt'))
    runner = SimpleNamespace(logger=logger, test_dataloader=SimpleNamespace(dataset=None))
    hook.before_test_epoch(runner)
    samples = [BaseDataElement(metainfo=dict(sample_idx=i)) for i in range(3)]
    samples[1].set_metainfo(
        dict(missing=True, failures=[dict(path='v1.mp4', reason='missing file')])
    )
    hook.after_test_iter(runner, 0, data_batch=dict(data_samples=samples))
    hook.after_test_epoch(runner)


def test_missing_samples_are_counted(tmp_path) -> None:
    evaluate(HOOKS.build(dict(type='DataHealthHook')), tmp_path)
    log = (tmp_path / 'log.txt').read_text()
    assert 'missing sample (counts as a miss): v1.mp4: missing file' in log
    assert (
        'data (test): 3 samples, 1 missing (counted as misses) (1 failed reads) because '
        'of 1 broken files: missing file 1' in log
    )


def test_strict_evaluation_stops_listing_the_files(tmp_path) -> None:
    with pytest.raises(
        RuntimeError,
        match=r'1 missing samples .*strict_eval=True\): '
        r'v1.mp4: missing file',
    ):
        evaluate(HOOKS.build(dict(type='DataHealthHook', strict_eval=True)), tmp_path)
