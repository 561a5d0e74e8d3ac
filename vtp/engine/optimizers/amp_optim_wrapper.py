"""Mixed-precision training on CUDA and on CPU: autocast to bf16 (default), fp16, or the best
the device computes natively (`'auto'`)."""

from contextlib import contextmanager
from typing import Any, Dict, Iterator

import torch
from mmengine.device import get_device
from mmengine.logging import MMLogger
from mmengine.optim import OptimWrapper
from torch import nn

from vtp.registry import OPTIM_WRAPPERS

DTYPES = {'bfloat16': torch.bfloat16, 'float16': torch.float16, 'float32': torch.float32}


def native_cpu_bf16() -> bool:
    """Whether this CPU computes bf16 natively (oneDNN's own check: AVX512-BF16 or AMX)."""
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def auto_dtype(device: str) -> str:
    """The fastest safe precision on ``device`` (``'cuda'``, ``'cpu'``, ...): bf16 where it
    computes bf16 natively; else fp16 with loss scaling on a GPU (V100, T4) and fp32 on a CPU,
    where emulated bf16 is many times slower than fp32 (15x for the demo's step on a 2-core
    AMD EPYC without AVX-512)."""
    if device == 'cuda':
        return 'bfloat16' if torch.cuda.is_bf16_supported(including_emulation=False) else 'float16'
    if device == 'cpu':
        return 'bfloat16' if native_cpu_bf16() else 'float32'
    return 'bfloat16'


@OPTIM_WRAPPERS.register_module()
class AmpOptimWrapper(OptimWrapper):
    """mmengine's ``OptimWrapper`` with the forward pass under ``torch.autocast``.

    In vtp's scope this replaces mmengine's ``AmpOptimWrapper``, which refuses to build without
    a GPU and scales the loss even in bf16. Parameters, gradients and the optimizer state stay
    fp32; matrix products run in ``dtype``; the heads compute their losses and logits in fp32.
    bf16 keeps fp32's exponent range, so its gradients need no loss scaling; fp16 (for GPUs
    without bf16, such as V100 and T4) uses dynamic loss scaling (``torch.amp.GradScaler``),
    whose state is saved with the optimizer's.

    On a CPU without native bf16 (AVX512-BF16 or AMX) autocast emulates it, which can be far
    slower than fp32: the first step says so in the log. ``dtype='auto'`` avoids that: it picks
    :func:`auto_dtype` of the training device and says which in the log at the first step.

    Args:
        dtype: ``'bfloat16'``, ``'float16'``, ``'float32'`` (no autocast: a config that sets
            this wrapper trains in full precision with ``optim_wrapper.dtype=float32``), or
            ``'auto'``.
        **kwargs: the arguments of ``OptimWrapper`` (``optimizer``, ``clip_grad``, ...).
    """

    def __init__(self, dtype: str = 'bfloat16', **kwargs: Any) -> None:
        if dtype not in (*DTYPES, 'auto'):
            raise ValueError(
                f'optim_wrapper.dtype must be one of {[*DTYPES, "auto"]}, got {dtype!r}'
            )
        super().__init__(**kwargs)
        self._auto_choice = None  # logged at the first step (wrappers are built quietly)
        if dtype == 'auto':
            device = get_device()
            dtype = auto_dtype(device)
            self._auto_choice = f'AmpOptimWrapper: dtype auto -> {dtype} on {device}' + (
                '' if device != 'cpu' or dtype == 'bfloat16' else ' (no native bf16 here)'
            )
        self.cast_dtype = DTYPES[dtype]
        self.loss_scaler = torch.amp.GradScaler(get_device()) if dtype == 'float16' else None
        self._device_checked = False

    def backward(self, loss: torch.Tensor, **kwargs: Any) -> None:
        """Back-propagate ``loss`` (scaled first in fp16)."""
        if self.loss_scaler is not None:
            loss = self.loss_scaler.scale(loss)
        super().backward(loss, **kwargs)

    def step(self, **kwargs: Any) -> None:
        """Clip (on unscaled gradients) and update; in fp16 skip a step whose gradients
        overflowed and adapt the scale."""
        if self.loss_scaler is None:
            super().step(**kwargs)
            return
        if self.clip_grad_kwargs:
            self.loss_scaler.unscale_(self.optimizer)
            self._clip_grad()
        self.loss_scaler.step(self.optimizer, **kwargs)
        self.loss_scaler.update()

    def state_dict(self) -> Dict[str, Any]:
        """The optimizer's state, plus ``loss_scaler`` in fp16."""
        state: Dict[str, Any] = super().state_dict()
        if self.loss_scaler is not None:
            state['loss_scaler'] = self.loss_scaler.state_dict()
        return state

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        """Load the optimizer's state, and the loss scale in fp16 (a bf16 run ignores it)."""
        scaler_state = state_dict.pop('loss_scaler', None)
        if self.loss_scaler is not None and scaler_state is not None:
            self.loss_scaler.load_state_dict(scaler_state)
        super().load_state_dict(state_dict)

    @contextmanager
    def optim_context(self, model: nn.Module) -> Iterator[None]:
        """Autocast to ``dtype`` on the device of the model's parameters."""
        device_type = next(model.parameters()).device.type
        if not self._device_checked:
            self._device_checked = True
            if self._auto_choice is not None:
                MMLogger.get_current_instance().info(self._auto_choice)
            bf16 = self.cast_dtype == torch.bfloat16
            if device_type == 'cpu' and bf16 and not native_cpu_bf16():
                MMLogger.get_current_instance().warning(
                    'AmpOptimWrapper: this CPU has no native bf16 (AVX512-BF16 or AMX), so '
                    'autocast emulates it and may be slower than fp32; set '
                    'optim_wrapper.dtype=float32 to train in fp32'
                )
        autocast = torch.autocast(
            device_type, dtype=self.cast_dtype, enabled=self.cast_dtype != torch.float32
        )
        with super().optim_context(model), autocast:
            yield
