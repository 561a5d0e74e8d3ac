"""Report replaced (broken) samples and per-corpus sample counts; stop on too many failures."""

from collections import Counter
from typing import Any, Dict, Optional, Sequence, Union

from mmengine.dist import all_gather_object
from mmengine.hooks import Hook
from mmengine.runner import Runner

from vtp.registry import HOOKS
from vtp.utils.checks import require_int, require_number


class _Tally:
    """Counts of one phase (train, val or test) on this rank."""

    def __init__(self) -> None:
        self.samples = 0  # samples delivered
        self.replaced = 0  # of which stand in for a broken one
        self.failures = 0  # failed reads (a replacement can fail too)
        self.files: Dict[str, str] = {}  # broken file -> reason
        self.corpora: Counter[str] = Counter()

    def merge(self, other: '_Tally') -> None:
        self.samples += other.samples
        self.replaced += other.replaced
        self.failures += other.failures
        self.files.update(other.files)
        self.corpora.update(other.corpora)


@HOOKS.register_module()
class DataHealthHook(Hook):
    """Make broken media visible without stopping a run over it, and stop a run on bad data.

    vtp datasets replace a sample whose media is missing, empty, corrupt or too short (or whose
    caption is empty) and list it in the data sample's ``failures`` metainfo. This hook logs
    each broken file once, in one line; at the end of training (of each epoch in epoch-based
    runs) and of each evaluation it logs a summary: samples seen, samples replaced, failed
    reads, the distinct broken files by reason, and, for a :class:`MixedDataset`, samples per
    corpus beside the configured ratio. During training it also logs each corpus's share of
    the batch as ``corpus/<name>`` (percent) and raises once more than ``max_failure_ratio``
    of the sample reads have failed, rather than train on garbage. Counts start with the
    process (a resumed run counts from the resume).

    In evaluation nothing is replaced: an unreadable test sample is ``missing`` and metrics
    count it as a miss; the summary says how many, and with ``strict_eval=True`` the
    evaluation stops instead, listing every broken file.

    Args:
        max_failure_ratio: largest tolerated share of failed reads (failed / all reads).
        min_samples: sample reads on a rank before the ratio is checked (a shorter run that
            passes the ratio only gets a warning in its summary).
        strict_eval: raise at the end of an evaluation that had missing samples.
    """

    priority = 'NORMAL'

    def __init__(
        self, max_failure_ratio: float = 0.1, min_samples: int = 200, strict_eval: bool = False
    ) -> None:
        ratio = require_number('DataHealthHook: max_failure_ratio', max_failure_ratio, minimum=0)
        if ratio > 1:
            raise ValueError(f'DataHealthHook: max_failure_ratio must be in [0, 1], got {ratio}')
        self.max_failure_ratio = ratio
        self.min_samples = require_int('DataHealthHook: min_samples', min_samples, 0)
        self.strict_eval = strict_eval
        self.tallies = {mode: _Tally() for mode in ('train', 'val', 'test')}

    def _record(
        self, runner: Runner, mode: str, data_batch: Optional[Dict[str, Any]]
    ) -> Counter[str]:
        """Count one batch; log files seen failing for the first time. Returns corpus counts."""
        tally = self.tallies[mode]
        samples: Sequence[Any] = (data_batch or {}).get('data_samples') or []
        batch_corpora: Counter[str] = Counter()
        for sample in samples:
            tally.samples += 1
            corpus = sample.get('corpus')
            if corpus is not None:
                batch_corpora[corpus] += 1
            failures = sample.get('failures', ())
            tally.replaced += bool(failures)
            tally.failures += len(failures)
            what = 'replaced a sample' if mode == 'train' else 'missing sample (counts as a miss)'
            for failure in failures:
                if failure['path'] not in tally.files:
                    tally.files[failure['path']] = failure['reason']
                    runner.logger.warning(
                        f'data ({mode}): {what}: {failure["path"]}: {failure["reason"]}'
                    )
        tally.corpora.update(batch_corpora)
        return batch_corpora

    def _after_iter(
        self,
        runner: Runner,
        batch_idx: int,
        data_batch: Optional[Dict[str, Any]] = None,
        outputs: Optional[Union[Sequence[Any], Dict[str, Any]]] = None,
        mode: str = 'train',
    ) -> None:
        """Count every batch (mmengine calls this after each train, val and test iteration);
        in training, also log the corpus shares and check the failure ratio."""
        corpora = self._record(runner, mode, data_batch)
        if mode != 'train':
            return
        total = sum(corpora.values())
        for name, count in corpora.items():
            runner.message_hub.update_scalar(f'train/corpus/{name}', 100.0 * count / total)
        tally = self.tallies['train']
        reads = tally.samples + tally.failures
        if reads >= self.min_samples and tally.failures > self.max_failure_ratio * reads:
            raise RuntimeError(
                f'{tally.failures} of {reads} sample reads failed, more than '
                f'max_failure_ratio={self.max_failure_ratio}: {self._describe(tally)}. '
                'Check the data paths and files, or raise DataHealthHook.max_failure_ratio.'
            )

    def before_val_epoch(self, runner: Runner) -> None:
        self.tallies['val'] = _Tally()

    def before_test_epoch(self, runner: Runner) -> None:
        self.tallies['test'] = _Tally()

    def _after_epoch(self, runner: Runner, mode: str = 'train') -> None:
        """Log the summary of the phase that ended (mmengine calls this after each train
        epoch, and after each evaluation)."""
        self._summarise(runner, mode, getattr(runner, f'{mode}_dataloader').dataset)

    def summary(self, mode: str) -> _Tally:
        """The counts of ``mode`` summed over all ranks (a collective call when distributed)."""
        total = _Tally()
        for tally in all_gather_object(self.tallies[mode]):
            total.merge(tally)
        return total

    def _summarise(self, runner: Runner, mode: str, dataset: object) -> None:
        tally = self.summary(mode)
        line = f'data ({mode}): {tally.samples} samples, {self._describe(tally, mode)}'
        ratios = getattr(dataset, 'corpus_ratios', None)
        if tally.corpora:
            seen = sum(tally.corpora.values())
            parts = []
            for name, count in sorted(tally.corpora.items()):
                part = f'{name} {count} ({100.0 * count / seen:.1f}%'
                if ratios and name in ratios:
                    part += f', configured {100.0 * ratios[name]:.1f}%'
                parts.append(part + ')')
            line += '; per corpus: ' + ', '.join(parts)
        runner.logger.info(line)
        reads = tally.samples + tally.failures
        if mode == 'train' and tally.failures > self.max_failure_ratio * reads:  # too few to stop
            runner.logger.warning(
                f'data (train): {tally.failures} of {reads} sample reads failed, more than '
                f'max_failure_ratio={self.max_failure_ratio}; the run was not stopped because '
                f'its ranks read fewer than min_samples={self.min_samples} each. Check the data.'
            )
        if mode != 'train' and self.strict_eval and tally.files:
            listed = '; '.join(f'{path}: {why}' for path, why in sorted(tally.files.items()))
            raise RuntimeError(
                f'evaluation had {tally.replaced} missing samples '
                f'(DataHealthHook.strict_eval=True): {listed}'
            )

    @staticmethod
    def _describe(tally: _Tally, mode: str = 'train') -> str:
        what = 'replaced' if mode == 'train' else 'missing (counted as misses)'
        if not tally.failures:
            return f'0 {what}'
        reasons = Counter(tally.files.values())
        why = ', '.join(f'{reason} {n}' for reason, n in sorted(reasons.items()))
        return (
            f'{tally.replaced} {what} ({tally.failures} failed reads) because of '
            f'{len(tally.files)} broken files: {why}'
        )
