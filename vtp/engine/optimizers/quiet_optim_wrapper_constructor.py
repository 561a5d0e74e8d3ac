"""mmengine's default optimizer-wrapper constructor, with decay only where intended and a
one-line report."""

import logging
from typing import Any, List, Optional

from mmengine.logging import MMLogger
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from torch import nn

from vtp.registry import OPTIM_WRAPPER_CONSTRUCTORS

# Parameters that are never decayed whatever their shape: Swin's relative-position bias tables.
NO_DECAY_NAMES = ('relative_position_bias_table',)


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class QuietOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """``DefaultOptimWrapperConstructor`` (same ``paramwise_cfg``) that never decays what
    should not be, logging one summary line.

    Weight decay is 0 for every parameter with at most one dimension (norm weights, biases, the
    contrastive temperature) and every parameter whose name contains one of
    ``paramwise_cfg['no_decay_names']`` (default: position-bias tables), whatever
    ``custom_keys`` say: in mmengine a custom key's ``decay_mult`` replaces
    ``norm_decay_mult`` / ``bias_decay_mult`` for the parameters it matches, and 0-D
    parameters are never covered.

    mmengine logs one line per parameter that a ``paramwise_cfg`` rule touches, and a warning
    per frozen parameter (hundreds for Video Swin + BERT); this constructor logs how many
    parameters each setting covers, and how many are frozen, instead.
    """

    def __init__(
        self, optim_wrapper_cfg: dict[str, Any], paramwise_cfg: Optional[dict[str, Any]] = None
    ) -> None:
        paramwise_cfg = dict(paramwise_cfg or {})
        paramwise_cfg.setdefault('no_decay_names', NO_DECAY_NAMES)  # also: one group per tensor
        super().__init__(optim_wrapper_cfg, paramwise_cfg)

    def add_params(
        self, params: List[dict[str, Any]], module: nn.Module, prefix: str = '', **kwargs: Any
    ) -> None:
        super().add_params(params, module, prefix=prefix, **kwargs)
        if prefix:  # mmengine recurses through add_params; finish once, at the top
            return
        names = {id(p): name for name, p in module.named_parameters()}
        no_decay_names = tuple(self.paramwise_cfg['no_decay_names'])
        for group in params:
            (param,) = group['params']
            if param.ndim <= 1 or any(key in names[id(param)] for key in no_decay_names):
                group['weight_decay'] = 0.0

    def __call__(self, model: nn.Module) -> OptimWrapper:
        logger = MMLogger.get_current_instance()
        level = logger.level
        logger.setLevel(logging.ERROR)
        try:
            optim_wrapper = super().__call__(model)
        finally:
            logger.setLevel(level)
        groups: dict[tuple[float, float], int] = {}
        for group in optim_wrapper.optimizer.param_groups:
            setting = (group['lr'], group.get('weight_decay', 0.0))
            groups[setting] = groups.get(setting, 0) + sum(p.numel() for p in group['params'])
        summary = ', '.join(
            f'{n / 1e6:.2f}M at lr={lr:g} wd={wd:g}' for (lr, wd), n in sorted(groups.items())
        )
        frozen = sum(p.numel() for p in model.parameters() if not p.requires_grad)
        if frozen:
            summary += f', {frozen / 1e6:.2f}M frozen'
        logger.info(f'optimizer {type(optim_wrapper.optimizer).__name__}: {summary}')
        return optim_wrapper
