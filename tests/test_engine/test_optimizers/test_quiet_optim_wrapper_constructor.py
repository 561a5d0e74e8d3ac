"""``QuietOptimWrapperConstructor``: mmengine's parameter groups, one summary line of log."""

import pytest
import torch
from mmengine.logging import MMLogger
from torch import nn

from vtp.registry import OPTIM_WRAPPER_CONSTRUCTORS
from vtp.testing import logged_lines


def test_one_summary_line_with_frozen_count() -> None:
    model = nn.Sequential(nn.Linear(4, 4), nn.LayerNorm(4), nn.Linear(4, 2))
    for p in model[0].parameters():
        p.requires_grad = False  # 20 frozen parameters
    constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(
            type='QuietOptimWrapperConstructor',
            optim_wrapper_cfg=dict(
                type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.1)
            ),
            paramwise_cfg=dict(norm_decay_mult=0.0, custom_keys={'2.': dict(lr_mult=0.5)}),
        )
    )
    with logged_lines(MMLogger.get_instance('test_quiet_optim', log_level='INFO')) as lines:
        optim_wrapper = constructor(model)
    assert lines == [
        'optimizer AdamW: 0.00M at lr=0.0005 wd=0, 0.00M at lr=0.0005 wd=0.1, '
        '0.00M at lr=0.001 wd=0, 0.00M frozen'
    ]  # no warning per frozen one
    groups = [(g['lr'], g['weight_decay']) for g in optim_wrapper.optimizer.param_groups]
    # the bias under the custom key is not decayed either
    assert sorted(groups) == [(0.0005, 0.0), (0.0005, 0.1), (0.001, 0.0), (0.001, 0.0)]


class Tower(nn.Module):
    """A weight matrix, a norm, a bias, a 0-D temperature and a position-bias table."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(4, 4)
        self.norm = nn.LayerNorm(4)
        self.log_logit_scale = nn.Parameter(torch.tensor(2.0))
        self.relative_position_bias_table = nn.Parameter(torch.zeros(9, 2))


@pytest.mark.parametrize(
    'paramwise_cfg',
    [
        None,
        dict(norm_decay_mult=0.0, bias_decay_mult=0.0),
        # a custom key's decay_mult replaces norm/bias_decay_mult in mmengine
        dict(
            norm_decay_mult=0.0,
            bias_decay_mult=0.0,
            custom_keys={'tower': dict(lr_mult=10.0, decay_mult=1.0)},
        ),
    ],
)
def test_decay_only_on_weight_matrices(paramwise_cfg) -> None:
    model = nn.ModuleDict(dict(tower=Tower()))
    constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(
            type='QuietOptimWrapperConstructor',
            optim_wrapper_cfg=dict(
                type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05)
            ),
            paramwise_cfg=paramwise_cfg,
        )
    )
    decay = decay_by_name(model, constructor(model).optimizer)
    assert decay == {
        'tower.proj.weight': 0.05,
        'tower.proj.bias': 0.0,
        'tower.norm.weight': 0.0,
        'tower.norm.bias': 0.0,
        'tower.log_logit_scale': 0.0,
        'tower.relative_position_bias_table': 0.0,
    }


def decay_by_name(model: nn.Module, optimizer) -> dict:
    """Parameter name -> the weight decay of its group."""
    names = {id(p): n for n, p in model.named_parameters()}
    return {
        names[id(p)]: group['weight_decay']
        for group in optimizer.param_groups
        for p in group['params']
    }
