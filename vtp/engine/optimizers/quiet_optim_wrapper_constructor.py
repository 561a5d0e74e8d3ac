"""mmengine's default optimizer-wrapper constructor, with a one-line report."""
import logging

from mmengine.logging import MMLogger
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from torch import nn

from vtp.registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class QuietOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """``DefaultOptimWrapperConstructor`` (same ``paramwise_cfg``), logging one summary line.

    mmengine logs one line per parameter that a ``paramwise_cfg`` rule touches, and a warning
    per frozen parameter (hundreds for Video Swin + BERT); this constructor logs how many
    parameters each setting covers, and how many are frozen, instead.
    """

    def __call__(self, model: nn.Module) -> OptimWrapper:
        logger = MMLogger.get_current_instance()
        level = logger.level
        logger.setLevel(logging.ERROR)
        try:
            optim_wrapper = super().__call__(model)
        finally:
            logger.setLevel(level)
        groups = {}
        for group in optim_wrapper.optimizer.param_groups:
            setting = (group['lr'], group.get('weight_decay', 0.0))
            groups[setting] = groups.get(setting, 0) + sum(p.numel() for p in group['params'])
        summary = ', '.join(f'{n / 1e6:.2f}M at lr={lr:g} wd={wd:g}'
                            for (lr, wd), n in sorted(groups.items()))
        frozen = sum(p.numel() for p in model.parameters() if not p.requires_grad)
        if frozen:
            summary += f', {frozen / 1e6:.2f}M frozen'
        logger.info(f'optimizer {type(optim_wrapper.optimizer).__name__}: {summary}')
        return optim_wrapper
