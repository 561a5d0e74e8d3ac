"""vtp's Runner: mmengine's, made safe to resume and able to train distributed on CPUs."""

import logging
import os
import os.path as osp
import platform
import re
from contextlib import contextmanager
from datetime import timedelta
from functools import partial
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Set, Tuple, Union

import mmengine
import torch
import torch.distributed as torch_dist
from mmengine.dist import is_distributed, master_only
from mmengine.logging import MMLogger
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapperDict
from mmengine.registry import MODEL_WRAPPERS
from mmengine.runner import BaseLoop, Runner
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader

from vtp.engine.runner.weights_only_checkpoint import decode_checkpoint, encode_checkpoint
from vtp.registry import RUNNERS
from vtp.utils.checks import is_int, require_int
from vtp.utils.pretrained import CheckpointError, load_checkpoint_file
from vtp.utils.process import init_worker
from vtp.utils.rank_watchdog import start_rank_watchdog, stop_rank_watchdog


class CheckpointWriteError(OSError):
    """A checkpoint could not be written; the previous complete one is untouched."""


CHECKPOINT_NAME = re.compile(r'^(?:iter|epoch)_(\d+)\.pth$')


class _DropFileClientWarnings(logging.Filter):
    """mmengine's checkpoint code builds a ``FileClient`` in every run (kept there for backward
    compatibility), which logs deprecation warnings addressed to mmengine's own code."""

    NOISE = ('"FileClient" will be deprecated', '"HardDiskBackend" is the alias')

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self.NOISE)


_DROP_FILE_CLIENT_WARNINGS = _DropFileClientWarnings()


def latest_checkpoint(work_dir: str) -> Optional[str]:
    """The ``iter_N.pth`` / ``epoch_N.pth`` file with the largest N in ``work_dir``, or None
    (a folder of such a name is not a checkpoint)."""
    if not osp.isdir(work_dir):
        return None
    found = [
        (int(m.group(1)), name)
        for name in os.listdir(work_dir)
        if (m := CHECKPOINT_NAME.match(name)) and osp.isfile(osp.join(work_dir, name))
    ]
    return osp.join(work_dir, max(found)[1]) if found else None


def group_keys(keys: List[str], depth: int = 2) -> str:
    """``['heads.mlm.bias', 'heads.mlm.transform.0.weight', 'x.y.z']`` ->
    ``'heads.mlm.* (2), x.y.z'``."""
    groups: Dict[str, List[str]] = {}
    for key in keys:
        module = key.split('.')[:-1][:depth]  # the module holding the tensor, cut at depth
        groups.setdefault('.'.join(module) or key, []).append(key)
    return ', '.join(
        f'{prefix}.* ({len(members)})' if len(members) > 1 else members[0]
        for prefix, members in groups.items()
    )


class LoadReport(NamedTuple):
    """What :func:`load_matching` did: ``summary``, one readable line; ``left_out``, the
    model's tensors the checkpoint did not give (absent or of another shape: they keep their
    initialisation); ``unused``, the checkpoint's tensors the model has no place for."""

    summary: str
    left_out: List[str]
    unused: List[str]

    @property
    def exact(self) -> bool:
        return not self.left_out and not self.unused


def require_tensors(filename: str, state_dict: Dict[str, Any]) -> None:
    """Raise :class:`CheckpointError` unless every value of ``state_dict`` is a tensor."""
    wrong = [k for k, v in state_dict.items() if not isinstance(v, torch.Tensor)]
    if wrong:
        raise CheckpointError(
            filename,
            f'not a state dict: {str(wrong[0])[:80]!r} holds a '
            f'{type(state_dict[wrong[0]]).__name__}, not a tensor',
        )


def require_complete(filename: str, report: LoadReport) -> None:
    """Raise :class:`CheckpointError` when the checkpoint left some of the model's tensors at
    their initialisation: evaluating or using such a model reports on weights nobody trained
    (a checkpoint of another task, or an empty file, would score as if it were this one)."""
    if report.left_out:
        raise CheckpointError(
            filename,
            f'not a checkpoint of this model: {report.summary}. Evaluation and inference need '
            'every tensor of the model; fine-tune from it instead (load_from in a training run)',
        )


# Per-parameter optimizer states that have the parameter's shape (Adam, AdamW, SGD): the fused
# kernels index them by the parameter's size without checking, so another shape reads and
# writes out of bounds.
SHAPED_STATES = ('exp_avg', 'exp_avg_sq', 'max_exp_avg_sq', 'momentum_buffer')


def require_resumable(
    filename: str, checkpoint: Dict[str, Any], optimizers: Dict[str, Any], names: Dict[int, str]
) -> None:
    """Raise :class:`CheckpointError` unless ``checkpoint`` holds what resuming reads: ``meta``
    with whole ``iter`` and ``epoch`` counts, mmengine's ``message_hub``, and for each
    optimizer of ``optimizers`` (key in the checkpoint -> optimizer) a state of the same
    parameter groups whose per-parameter buffers (:data:`SHAPED_STATES`) have their
    parameter's shape (``names``: parameter id -> name, for the message); a checkpoint saved
    without its optimizer (``save_optimizer=False``) resumes with a fresh one, as in mmengine."""
    meta = checkpoint.get('meta')
    if not isinstance(meta, dict) or 'message_hub' not in checkpoint:
        raise CheckpointError(
            filename, 'not a training checkpoint (no "meta" or "message_hub"): use load_from'
        )
    for key in ('iter', 'epoch'):
        if not is_int(meta.get(key)) or meta[key] < 0:
            raise CheckpointError(
                filename, f'meta.{key} must be an int >= 0, got {meta.get(key)!r}'
            )
    if 'optimizer' not in checkpoint:  # saved with save_optimizer=False: a fresh optimizer
        return
    for key, optimizer in optimizers.items():
        saved = checkpoint.get('optimizer')
        saved = saved.get(key) if key and isinstance(saved, dict) else saved
        groups = saved.get('param_groups') if isinstance(saved, dict) else None
        states = saved.get('state') if isinstance(saved, dict) else None
        if not isinstance(groups, list) or not isinstance(states, dict):
            raise CheckpointError(filename, f'no optimizer state{f" {key!r}" if key else ""}')
        own = [p for group in optimizer.param_groups for p in group['params']]
        ids = [i for g in groups if isinstance(g, dict) for i in g.get('params', ())]
        if len(ids) != len(own) or len(groups) != len(optimizer.param_groups):
            raise CheckpointError(
                filename,
                f'its optimizer holds {len(ids)} parameters in {len(groups)} groups, this '
                f'run {len(own)} in {len(optimizer.param_groups)} (a changed model or '
                'paramwise_cfg cannot resume: start a run with load_from)',
            )
        for saved_id, param in zip(ids, own):
            state = states.get(saved_id)
            for name, value in state.items() if isinstance(state, dict) else ():
                if name in SHAPED_STATES and getattr(value, 'shape', None) != param.shape:
                    raise CheckpointError(
                        filename,
                        f'optimizer state {name} of {names.get(id(param), "a parameter")} has '
                        f'shape {tuple(getattr(value, "shape", ()))}, the parameter '
                        f'{tuple(param.shape)} (a changed model cannot resume: start a run with '
                        'load_from)',
                    )


def reseed_data(loader: Any, old: int, new: int) -> None:
    """Give the sampler and datasets of ``loader`` built with seed ``old`` (the experiment
    seed mmengine passed them) seed ``new``: resuming a run of ``randomness.seed=None`` takes
    the checkpoint's seed after the data was built with the one this run drew, and mmengine
    reseeds only the random generators, so the samples and their augmentation would differ."""
    sampler = getattr(loader, 'sampler', None)
    dataset = getattr(loader, 'dataset', None)
    parts = [sampler, getattr(getattr(loader, 'batch_sampler', None), 'sampler', None), dataset]
    parts += list(getattr(dataset, 'datasets', ()))  # the corpora of a MixedDataset
    for part in parts:
        if part is not None and getattr(part, 'seed', None) == old:
            part.seed = new


def load_matching(model: torch.nn.Module, state_dict: Dict[str, torch.Tensor]) -> LoadReport:
    """Load the tensors of ``state_dict`` whose name and shape match ``model``'s.

    Returns:
        A :class:`LoadReport`: one readable line (how many tensors were loaded and, grouped by
        module, which of the model's were not in the checkpoint, which of the checkpoint's the
        model has no place for, and which differ in shape) and the keys behind it.
    """
    own = model.state_dict()
    missing = [k for k in own if k not in state_dict]
    unused = [k for k in state_dict if k not in own]
    mismatched = [k for k in own if k in state_dict and own[k].shape != state_dict[k].shape]
    model.load_state_dict(
        {k: v for k, v in state_dict.items() if k in own and k not in mismatched}, strict=False
    )
    loaded = len(own) - len(missing) - len(mismatched)
    parts = [f"loaded {loaded} of the model's {len(own)} tensors"]
    for label, keys in (
        ('not in the checkpoint', missing),
        ('unused', unused),
        ('shape differs', mismatched),
    ):
        if keys:
            parts.append(f'{label}: {group_keys(keys)}')
    return LoadReport('; '.join(parts), missing + mismatched, unused)


@RUNNERS.register_module()
class VTPRunner(Runner):
    """mmengine ``Runner`` with three fixes that vtp's users rely on.

    - Checkpoints are saved with mmengine's logging state as tensors and builtins, so vtp's
      own checkpoints load with ``torch.load(weights_only=True)`` (the torch >= 2.6 default)
      and resuming works; other checkpoints load without running code from them (see
      :func:`vtp.utils.pretrained.load_checkpoint_file`); ``.safetensors`` files load too.
    - Checkpoints are written to a temporary file and renamed, so a killed run never leaves a
      half-written checkpoint; ``--resume`` picks the newest complete one. A failed write (a
      full disk, an unwritable work dir) removes its partial file and stops the run with
      :class:`CheckpointWriteError` naming the last complete checkpoint.
    - Loading reports, in one line, the tensors loaded and, grouped by module, those missing
      from the checkpoint, those the model does not use and those whose shape differs (e.g.
      a pre-training checkpoint's MLM head when fine-tuning for retrieval). ``test()`` and
      ``val()`` refuse a checkpoint that leaves any of the model's tensors at their
      initialisation (:func:`require_complete`); training's ``load_from`` may give part.
    - ``launcher='pytorch'`` on a machine without CUDA initialises gloo instead of calling
      ``torch.cuda.set_device``, and wraps the model in DDP with ``device_ids=None``.
    - Dataloader workers die with the process that started them (:func:`vtp.utils.process.
      die_with_parent`), so a run killed with ``kill -9`` or by the OOM killer leaves none behind.
    - In distributed runs one failed rank stops the others within seconds, naming it (see
      :mod:`vtp.utils.rank_watchdog`; ``env_cfg.rank_watchdog``: its ``timeout`` and
      ``interval`` in seconds, or None to turn it off).
    - ``env_cfg.num_threads`` sets the training process's torch threads (``torch.
      set_num_threads``; None keeps torch's default, one per core). On a small CPU machine one
      thread beside one loader worker can beat every core on the model, the loading between
      steps.
    - Runners built in one process within the same second get distinct timestamps
      (``20261202_212307``, ``20261202_212307_1``, ...). mmengine names its logger, visualizer
      and message hub after the timestamp and hands an existing one back, so the second run
      would otherwise log into the first run's directory.

    It also keeps the log readable: one line of environment, one naming the config and where
    its full text is saved, and the hooks in one line, instead of mmengine's few hundred lines
    (build flags, the whole config, a table of hooks); and none of the ``FileClient``
    deprecation warnings that mmengine's checkpoint code logs in every run.
    """

    _timestamps: Set[str] = set()  # of the runners built in this process
    _complete_checkpoint = False  # set while evaluating: see _evaluating
    _resuming = False  # set while resume() loads its checkpoint
    # mmengine's attributes, set by Runner.__init__ and Runner.setup_env.
    _timestamp: str
    _resume: bool
    _load_from: Optional[str]

    def _log_env(self, env_cfg: Dict[str, Any]) -> None:
        """One line of environment and one naming the config (saved in full in work_dir)."""
        device = torch.cuda.get_device_name() if torch.cuda.is_available() else 'CPU only'
        self.logger.info(
            f'environment: Python {platform.python_version()}, torch {torch.__version__}, '
            f'mmengine {mmengine.__version__}, {device}; launcher {self._launcher}, '
            f'world size {self._world_size}, seed {self._seed}'
        )
        name = osp.basename(self.cfg.filename) if self.cfg.filename else f'{self.timestamp}.py'
        self.logger.info(
            f'config: {self.cfg.filename or "(built in code)"}; the full config is '
            f'saved as {osp.join(self.work_dir, name)}'
        )

    @contextmanager
    def _watched(self) -> Iterator[None]:
        """Run the body under the rank watchdog; on success every rank stops watching
        together (after a barrier), so a rank that finishes first is not taken for dead."""
        if not self.distributed or self._rank_watchdog_cfg is None:
            yield
            return
        start_rank_watchdog(**self._rank_watchdog_cfg)
        yield
        torch_dist.barrier()
        stop_rank_watchdog()

    def train(self) -> torch.nn.Module:
        with self._watched():
            return super().train()  # type: ignore[no-any-return]  # mmengine is untyped

    def val(self) -> Dict[str, Any]:
        with self._watched(), self._evaluating():
            return super().val()  # type: ignore[no-any-return]  # mmengine is untyped

    def test(self) -> Dict[str, Any]:
        with self._watched(), self._evaluating():
            return super().test()  # type: ignore[no-any-return]  # mmengine is untyped

    @contextmanager
    def _evaluating(self) -> Iterator[None]:
        """While set, a checkpoint must give every tensor of the model (see
        :func:`require_complete`); training's ``load_from`` may give part of it."""
        self._complete_checkpoint = True
        try:
            yield
        finally:
            self._complete_checkpoint = False

    def build_logger(self, *args: Any, **kwargs: Any) -> MMLogger:
        """mmengine's logger, without its ``FileClient`` deprecation warnings."""
        logger: MMLogger = super().build_logger(*args, **kwargs)
        logger.addFilter(_DROP_FILE_CLIENT_WARNINGS)  # once: addFilter skips a filter it has
        return logger

    def get_hooks_info(self) -> str:
        """The hooks in the order they run, on one line."""
        return ', '.join(type(hook).__name__ for hook in self._hooks)

    def setup_env(self, env_cfg: Dict[str, Any]) -> None:
        """Initialise gloo ourselves on CPU-only machines, then let mmengine do the rest."""
        if self.distributed and not is_distributed() and not torch.cuda.is_available():
            timeout = env_cfg.get('dist_cfg', {}).get('timeout', 1800)
            torch_dist.init_process_group(backend='gloo', timeout=timedelta(seconds=timeout))
        super().setup_env(env_cfg)
        num_threads = env_cfg.get('num_threads')
        if num_threads is not None:
            torch.set_num_threads(require_int('env_cfg.num_threads', num_threads, 1))
        self._rank_watchdog_cfg = env_cfg.get('rank_watchdog', {})
        base, count = self._timestamp, 0
        while self._timestamp in VTPRunner._timestamps:  # same order on every rank
            count += 1
            self._timestamp = f'{base}_{count}'
        VTPRunner._timestamps.add(self._timestamp)

    def wrap_model(
        self, model_wrapper_cfg: Optional[Dict[str, Any]], model: torch.nn.Module
    ) -> torch.nn.Module:
        """Wrap in DDP with ``device_ids=None`` when the model lives on the CPU."""
        if self.distributed and not torch.cuda.is_available() and not is_model_wrapper(model):
            model_wrapper_cfg = dict(
                model_wrapper_cfg
                or dict(
                    broadcast_buffers=False,
                    find_unused_parameters=self.cfg.get('find_unused_parameters', False),
                )
            )
            model_wrapper_cfg.setdefault('type', 'MMDistributedDataParallel')
            if issubclass(MODEL_WRAPPERS.get(model_wrapper_cfg['type']), DistributedDataParallel):
                model_wrapper_cfg['device_ids'] = None
        # mmengine is untyped.
        return super().wrap_model(model_wrapper_cfg, model)  # type: ignore[no-any-return]

    @staticmethod
    def build_dataloader(
        dataloader: Union[DataLoader[Any], Dict[str, Any]],
        seed: Optional[int] = None,
        diff_rank_seed: bool = False,
    ) -> DataLoader[Any]:
        """mmengine's dataloader, whose workers first bind their life to this process."""
        loader: DataLoader[Any] = Runner.build_dataloader(
            dataloader, seed=seed, diff_rank_seed=diff_rank_seed
        )
        if isinstance(loader, DataLoader) and loader.num_workers > 0:
            loader.worker_init_fn = partial(init_worker, user_init=loader.worker_init_fn)
        return loader

    def build_train_loop(self, loop: Union[BaseLoop, Dict[str, Any]]) -> BaseLoop:
        """mmengine's train loop, after the training dataset (one with ``check_sampler``,
        :class:`MixedDataset`) has accepted the sampler."""
        loop = super().build_train_loop(loop)
        dataset = loop.dataloader.dataset
        if hasattr(dataset, 'check_sampler'):
            dataset.check_sampler(loop.dataloader.sampler)
        return loop

    def load_checkpoint(
        self,
        filename: str,
        map_location: Union[str, Callable[..., Any]] = 'cpu',
        strict: bool = False,
        revise_keys: List[Tuple[str, str]] = [(r'^module.', '')],
    ) -> Dict[str, Any]:
        """Load a checkpoint without running code from it (see class docstring) into the
        model; a file that cannot be read safely raises :class:`vtp.utils.pretrained.
        CheckpointError`."""
        checkpoint = load_checkpoint_file(filename, map_location)
        try:
            decode_checkpoint(checkpoint)
        except Exception as e:  # a crafted or damaged logging state: nothing was run
            raise CheckpointError(
                filename, f'unreadable training state ({type(e).__name__}: {str(e)[:200]})'
            ) from None
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) else self.model
        state_dict = checkpoint.get('state_dict', checkpoint)
        require_tensors(filename, state_dict)
        for pattern, replacement in revise_keys:
            state_dict = {re.sub(pattern, replacement, k): v for k, v in state_dict.items()}
        report = load_matching(model, state_dict)
        message = f'Load checkpoint from {filename}: {report.summary}'
        if strict and not report.exact:
            raise RuntimeError(message)
        if self._complete_checkpoint or self._resuming:
            require_complete(filename, report)
        if self._resuming:
            wrapper = self.optim_wrapper
            optimizers = (
                {k: w.optimizer for k, w in wrapper.items()}
                if isinstance(wrapper, OptimWrapperDict)
                else {'': wrapper.optimizer}
            )
            names = {id(p): n for n, p in model.named_parameters()}
            require_resumable(filename, checkpoint, optimizers, names)
        self.logger.info(message)
        self._has_loaded = True
        return checkpoint

    def resume(self, filename: str, *args: Any, **kwargs: Any) -> None:
        """Resume training from ``filename``, checked first (:func:`require_complete`,
        :func:`require_resumable`); a training state mmengine cannot restore from it (a random
        generator state of the wrong size, a damaged scheduler) raises :class:`CheckpointError`
        naming the file."""
        drawn = self.seed
        self._resuming = True
        try:
            super().resume(filename, *args, **kwargs)
        except (CheckpointError, MemoryError, torch.cuda.OutOfMemoryError):
            raise  # not the file's fault
        except Exception as e:  # anything mmengine or torch met restoring the state
            raise CheckpointError(
                filename, f'cannot resume from it ({type(e).__name__}: {str(e)[:200]})'
            ) from None
        finally:
            self._resuming = False
        if self.seed != drawn:  # randomness.seed=None: the run drew its own, then took the file's
            reseed_data(self.train_dataloader, drawn, self.seed)
        max_iters = getattr(self.train_loop, 'max_iters', None)
        if max_iters is not None and self.iter >= max_iters:
            self.logger.warning(
                f'{filename} is at iteration {self.iter}, max_iters is {max_iters}: nothing '
                'is left to train (raise train_cfg.max_iters to go on)'
            )

    def load_or_resume(self) -> None:
        """Resume from the newest complete checkpoint in ``work_dir`` when none is named, or in
        the directory named."""
        named = self._load_from
        folder = self.work_dir if named is None else osp.expanduser(named)
        if self._resume and osp.isdir(folder):
            self._load_from = latest_checkpoint(folder)
            if self._load_from is None and named is not None:
                raise FileNotFoundError(
                    f'cannot resume from {named}: the directory holds no complete checkpoint '
                    '(iter_N.pth or epoch_N.pth)'
                )
        if self._resume and self._load_from is None:
            self.logger.info(f'No checkpoint in {self.work_dir} to resume: training starts')
            self._resume = False
        super().load_or_resume()

    def call_hook(self, fn_name: str, **kwargs: Any) -> None:
        """Call hooks; after ``before_save_checkpoint`` make the checkpoint weights-only."""
        super().call_hook(fn_name, **kwargs)
        if fn_name == 'before_save_checkpoint':
            encode_checkpoint(kwargs['checkpoint'])

    @master_only  # type: ignore[untyped-decorator]  # mmengine is unannotated
    def save_checkpoint(self, out_dir: str, filename: str, *args: Any, **kwargs: Any) -> None:
        """Write to ``<filename>.tmp`` and rename, so a checkpoint is complete or absent."""
        if not osp.isdir(out_dir):  # a remote backend: no local rename to make atomic
            super().save_checkpoint(out_dir, filename, *args, **kwargs)
            return
        partial_file = osp.join(out_dir, f'{filename}.tmp')
        try:
            super().save_checkpoint(out_dir, f'{filename}.tmp', *args, **kwargs)
            os.replace(partial_file, osp.join(out_dir, filename))
        except OSError as e:  # a full disk, a read-only or vanished work dir, a quota
            if osp.exists(partial_file):
                os.remove(partial_file)
            last = latest_checkpoint(out_dir)
            raise CheckpointWriteError(
                f'cannot write checkpoint {osp.join(out_dir, filename)}: {e.strerror or e}. '
                + (
                    f'The last complete checkpoint, {last}, is intact: free space or choose '
                    'another --work-dir, then resume with --resume'
                    if last
                    else 'No earlier checkpoint exists'
                )
            ) from e
