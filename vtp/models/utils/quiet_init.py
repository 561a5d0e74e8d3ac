"""Keep mmengine's weight-initialisation report to one line.

mmengine's ``BaseModule.init_weights`` ends, on the top-level module, by writing one entry per
parameter (hundreds of lines for Video Swin + BERT) to the log. vtp's top-level modules log a
single summary instead.
"""

from mmengine.dist import master_only
from mmengine.logging import MMLogger
from torch import nn


class QuietInitMixin(nn.Module):
    """Mixin for an mmengine ``BaseModule``: one summary line instead of the per-parameter dump."""

    @master_only  # type: ignore[untyped-decorator]  # mmengine is unannotated
    def _dump_init_info(self) -> None:
        params = list(self.named_parameters())
        count = sum(p.numel() for _, p in params)
        trainable = sum(p.numel() for _, p in params if p.requires_grad)
        MMLogger.get_current_instance().info(
            f'{type(self).__name__}: initialised {len(params)} tensors, '
            f'{count / 1e6:.2f}M parameters ({trainable / 1e6:.2f}M trainable)'
        )
