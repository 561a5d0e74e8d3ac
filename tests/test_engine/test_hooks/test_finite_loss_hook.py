"""``FiniteLossHook``: a NaN or infinite loss stops training, naming where to restart."""

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from vtp.registry import HOOKS


def runner(work_dir: Path, iteration: int, resumed_from=None) -> SimpleNamespace:
    return SimpleNamespace(
        work_dir=str(work_dir), iter=iteration, _resume=bool(resumed_from), _load_from=resumed_from
    )


def test_finite_losses_pass(tmp_path: Path) -> None:
    hook = HOOKS.build(dict(type='FiniteLossHook'))
    outputs = dict(loss=torch.tensor(3.0), loss_itc=torch.tensor(1.0), acc_itm=torch.tensor(50.0))
    hook.after_train_iter(runner(tmp_path, 4), 0, outputs=outputs)


@pytest.mark.parametrize('bad', [float('nan'), float('inf'), float('-inf')])
def test_non_finite_loss_names_iteration_terms_and_last_checkpoint(
    tmp_path: Path, bad: float
) -> None:
    hook = HOOKS.build(dict(type='FiniteLossHook'))
    hook.before_train(runner(tmp_path, 0))
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_500.pth'))  # saved by the run
    outputs = dict(
        loss=torch.tensor(bad),
        loss_itc=torch.tensor(1.25),
        loss_itm=torch.tensor(bad),
        acc_itm=torch.tensor(float('nan')),
    )
    with pytest.raises(FloatingPointError) as error:
        hook.after_train_iter(runner(tmp_path, 641), 0, outputs=outputs)
    message = str(error.value)
    assert 'iteration 642' in message
    assert f'loss={bad:.4g}' in message and 'loss_itc=1.25' in message
    assert f'loss_itm={bad:.4g}' in message and 'acc_itm' not in message  # diagnostics aside
    assert message.endswith(f'Last good checkpoint: {tmp_path / "iter_500.pth"}')


def test_before_any_checkpoint_of_this_run(tmp_path: Path) -> None:
    """A checkpoint an earlier run left in the work dir is not this run's last good one."""
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_2.pth'))
    hook = HOOKS.build(dict(type='FiniteLossHook'))
    hook.before_train(runner(tmp_path, 0))
    with pytest.raises(FloatingPointError, match='Last good checkpoint: none saved by this run$'):
        hook.after_train_iter(runner(tmp_path, 0), 0, outputs=dict(loss=torch.tensor(1e39)))
    resumed = str(tmp_path / 'iter_1.pth')
    hook.before_train(runner(tmp_path, 1, resumed_from=resumed))
    with pytest.raises(FloatingPointError, match=f'{resumed} \\(the one this run resumed from\\)$'):
        hook.after_train_iter(runner(tmp_path, 1), 0, outputs=dict(loss=torch.tensor(1e39)))


def test_non_finite_weights_are_never_saved(tmp_path: Path) -> None:
    """A NaN gradient under a finite loss breaks the weights a step before the loss shows it."""
    hook = HOOKS.build(dict(type='FiniteLossHook'))
    hook.before_train(runner(tmp_path, 0))
    state = dict(w=torch.ones(2), b=torch.tensor([0.0, float('nan')]), steps=torch.tensor(3))
    hook.before_save_checkpoint(runner(tmp_path, 4), dict(state_dict=dict(w=torch.ones(2))))
    with pytest.raises(
        FloatingPointError,
        match=r'non-finite weights at iteration 4 \(1 of 3 tensors: b; .*not saved.*none saved',
    ):
        hook.before_save_checkpoint(runner(tmp_path, 4), dict(state_dict=state))
