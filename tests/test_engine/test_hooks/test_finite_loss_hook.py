"""``FiniteLossHook``: a NaN or infinite loss stops training, naming where to restart."""

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from vtp.registry import HOOKS


def runner(work_dir: Path, iteration: int) -> SimpleNamespace:
    return SimpleNamespace(work_dir=str(work_dir), iter=iteration)


def test_finite_losses_pass(tmp_path: Path) -> None:
    hook = HOOKS.build(dict(type='FiniteLossHook'))
    outputs = dict(loss=torch.tensor(3.0), loss_itc=torch.tensor(1.0), acc_itm=torch.tensor(50.0))
    hook.after_train_iter(runner(tmp_path, 4), 0, outputs=outputs)


@pytest.mark.parametrize('bad', [float('nan'), float('inf'), float('-inf')])
def test_non_finite_loss_names_iteration_terms_and_last_checkpoint(
    tmp_path: Path, bad: float
) -> None:
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_500.pth'))
    hook = HOOKS.build(dict(type='FiniteLossHook'))
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


def test_before_any_checkpoint(tmp_path: Path) -> None:
    hook = HOOKS.build(dict(type='FiniteLossHook'))
    with pytest.raises(FloatingPointError, match='Last good checkpoint: none saved yet'):
        hook.after_train_iter(runner(tmp_path, 0), 0, outputs=dict(loss=torch.tensor(1e39)))
