"""``DataHealthHook``: in evaluation, missing samples are counted, or stop it when strict; in
training, corpus shares are logged, too many failed reads stop the run, and each phase has its
own summary."""

from types import SimpleNamespace

import pytest
from mmengine.logging import MessageHub, MMLogger
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


def train_batch(corpora, failed=()):
    """Samples of ``corpora``; those at the indices in ``failed`` replaced a broken one."""
    samples = [BaseDataElement(metainfo=dict(corpus=c)) for c in corpora]
    for i in failed:
        samples[i].set_metainfo(dict(failures=[dict(path=f'v{i}.mp4', reason='corrupt')]))
    return dict(data_samples=samples)


def train_runner(tmp_path, name):
    logger = MMLogger.get_instance(name, log_file=str(tmp_path / 'log.txt'))
    return SimpleNamespace(
        logger=logger,
        message_hub=MessageHub.get_instance(name),
        train_dataloader=SimpleNamespace(dataset=SimpleNamespace(corpus_ratios=dict(a=0.5))),
    )


def test_training_logs_corpus_shares_and_a_summary_apart_from_evaluation(tmp_path) -> None:
    hook = HOOKS.build(dict(type='DataHealthHook', min_samples=100))
    runner = train_runner(tmp_path, 'test_data_health_hook_train')
    hook.after_train_iter(runner, 0, data_batch=train_batch(['a', 'a', 'a', 'b'], failed=[3]))
    scalars = runner.message_hub.log_scalars
    assert scalars['train/corpus/a'].current() == 75.0
    assert scalars['train/corpus/b'].current() == 25.0
    hook.after_val_iter(runner, 0, data_batch=train_batch(['a']))
    assert hook.tallies['train'].samples == 4 and hook.tallies['val'].samples == 1
    hook.after_train_epoch(runner)
    log = (tmp_path / 'log.txt').read_text()
    assert 'data (train): replaced a sample: v3.mp4: corrupt' in log
    assert 'data (train): 4 samples, 1 replaced' in log
    assert 'per corpus: a 3 (75.0%, configured 50.0%), b 1 (25.0%)' in log


def test_too_many_failed_reads_stop_training_but_not_evaluation(tmp_path) -> None:
    hook = HOOKS.build(dict(type='DataHealthHook', max_failure_ratio=0.25, min_samples=4))
    runner = train_runner(tmp_path, 'test_data_health_hook_ratio')
    broken = train_batch(['a'] * 4, failed=[0, 1])  # 2 failed of 6 reads
    hook.after_val_iter(runner, 0, data_batch=broken)
    with pytest.raises(RuntimeError, match='2 of 6 sample reads failed'):
        hook.after_train_iter(runner, 0, data_batch=broken)


def test_a_run_too_short_to_be_stopped_warns_in_its_summary(tmp_path) -> None:
    """Half the reads failed in a run shorter than min_samples: it succeeded without a word."""
    hook = HOOKS.build(dict(type='DataHealthHook'))  # min_samples 200
    runner = train_runner(tmp_path, 'test_data_health_hook_short')
    hook.after_train_iter(runner, 0, data_batch=train_batch(['a'] * 4, failed=[0, 1]))
    hook.after_train_epoch(runner)
    assert (
        'data (train): 2 of 6 sample reads failed, more than max_failure_ratio=0.1; the run was '
        'not stopped because its ranks read fewer than min_samples=200 each'
    ) in (tmp_path / 'log.txt').read_text()


@pytest.mark.parametrize(
    'args, message',
    [
        (
            dict(max_failure_ratio='0.1'),
            r"max_failure_ratio must be a finite number >= 0, got '0.1'",
        ),
        (dict(max_failure_ratio=1.5), r'max_failure_ratio must be in \[0, 1\], got 1.5'),
        (dict(min_samples=-5), r'min_samples must be an int >= 0, got -5'),
        (dict(min_samples='abc'), r"min_samples must be an int >= 0, got 'abc'"),
    ],
)
def test_bad_settings_are_named(args, message):
    with pytest.raises(ValueError, match=f'DataHealthHook: {message}'):
        HOOKS.build(dict(type='DataHealthHook', **args))
