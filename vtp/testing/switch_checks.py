"""Checks that a speed switch (fused attention, checkpointing, compile) keeps what a module
computes: the same outputs and the same parameter gradients as the module without it.

The checks run where the inputs are: on a CUDA device, autocast is CUDA's and the module with
the switch may attend only through fused kernels (:func:`fused_kernels_only`).
:class:`FusionSwitchChecks` runs them on a fusion encoder that takes ``fused_attention``,
``checkpointing`` and ``compile``, as vtp's fusion encoders do (the fused-attention checks on
each of :func:`devices`).
"""

import contextlib
from typing import Any, Dict, Iterator, List, Sequence, Tuple

import torch
from torch import nn
from torch._dynamo.testing import CompileCounter
from torch.nn.attention import SDPBackend, sdpa_kernel

from vtp.registry import MODELS

from .fusion_contract import FusionContract


@contextlib.contextmanager
def fused_kernels_only(device: torch.device) -> Iterator[None]:
    """On a CUDA device, let ``F.scaled_dot_product_attention`` use only fused kernels (flash,
    memory-efficient, cuDNN): a call that would fall back to the math path, which materialises
    the attention matrix, raises instead. Elsewhere nothing changes (a CPU has the math path
    and a flash kernel that takes no mask)."""
    if device.type != 'cuda':
        yield
        return
    fused = [SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.CUDNN_ATTENTION]
    with sdpa_kernel(fused):
        yield


def devices() -> List[str]:
    """The devices to check on: the CPU, and the current CUDA device where there is one."""
    return ['cpu', *(['cuda'] if torch.cuda.is_available() else [])]


# atol and rtol between an fp32 module and its fused-attention twin: a CPU's math kernel sums
# almost as the explicit path does; CUDA's fused kernels sum tiles in another order.
FP32_TOLERANCE = dict(cpu=dict(atol=1e-5, rtol=1e-4), cuda=dict(atol=1e-4, rtol=1e-3))


def outputs_and_grads(
    module: nn.Module,
    inputs: Sequence[torch.Tensor],
    autocast: bool = False,
    seed: int = 0,
    fused_only: bool = False,
) -> Tuple[List[torch.Tensor], Dict[str, torch.Tensor]]:
    """Run ``module(*inputs)`` and backpropagate a fixed random projection of its outputs.

    Args:
        module: the module, on the device of ``inputs[0]``; its gradients are reset first.
        inputs: positional inputs.
        autocast: run the forward under bf16 autocast (of the inputs' device type).
        seed: torch seed set before the forward (dropout draws the same masks in each run).
        fused_only: attend through fused kernels only (:func:`fused_kernels_only`).

    Returns:
        outputs: every output tensor, detached, in fp32.
        grads: parameter name -> gradient, for the parameters that got one.
    """
    module.zero_grad(set_to_none=True)
    torch.manual_seed(seed)
    device = inputs[0].device
    with contextlib.ExitStack() as stack:
        stack.enter_context(torch.autocast(device.type, torch.bfloat16, enabled=autocast))
        if fused_only:
            stack.enter_context(fused_kernels_only(device))
        result = module(*inputs)
    outputs = list(result) if isinstance(result, (tuple, list)) else [result]
    projection = torch.Generator().manual_seed(seed)
    loss = sum(
        (out.float() * torch.randn(out.shape, generator=projection).to(device)).sum()
        for out in outputs
    )
    loss.backward()
    grads = {n: p.grad.clone() for n, p in module.named_parameters() if p.grad is not None}
    return [out.detach().float() for out in outputs], grads


def assert_same_outputs_and_grads(
    reference: nn.Module,
    candidate: nn.Module,
    inputs: Sequence[torch.Tensor],
    atol: float,
    rtol: float,
    autocast: bool = False,
) -> None:
    """Assert that ``candidate`` (same parameter names and values as ``reference``, another
    switch setting) gives ``reference``'s outputs and parameter gradients on ``inputs``; on a
    CUDA device ``candidate`` attends through fused kernels only."""
    expected_outputs, expected_grads = outputs_and_grads(reference, inputs, autocast)
    outputs, grads = outputs_and_grads(candidate, inputs, autocast, fused_only=True)
    assert len(outputs) == len(expected_outputs)
    for out, expected in zip(outputs, expected_outputs):
        torch.testing.assert_close(out, expected, atol=atol, rtol=rtol)
    assert grads.keys() == expected_grads.keys()
    assert grads, 'no parameter got a gradient: the check would be vacuous'
    for name, grad in grads.items():
        torch.testing.assert_close(grad, expected_grads[name], atol=atol, rtol=rtol, msg=name)


def _relative_error(actual: torch.Tensor, expected: torch.Tensor, atol: float) -> float:
    """||actual - expected|| / (||expected|| + atol * sqrt(numel)) (Frobenius norms)."""
    floor = atol * expected.numel() ** 0.5
    return float((actual - expected).norm() / (expected.norm() + floor))


def assert_bf16_outputs_and_grads_close(
    reference: nn.Module,
    candidate: nn.Module,
    inputs: Sequence[torch.Tensor],
    rtol_outputs: float,
    rtol_grads: float,
    atol: float = 1e-3,
) -> None:
    """Under bf16 autocast, assert that ``candidate`` stays close to ``reference`` and is as
    accurate as it (on a CUDA device, ``candidate`` attending through fused kernels only).

    bf16 rounds to about 3 significant digits, and two ways of computing attention round
    differently, so tensors are compared by their relative Frobenius distance (with an
    absolute floor of ``atol`` per element, for gradients that vanish in exact arithmetic, such
    as that of a key bias under softmax): each output of ``candidate`` is within
    ``rtol_outputs`` of ``reference``'s and each gradient within ``rtol_grads``. And
    ``candidate`` is no less accurate: the distance of its outputs, and of all its gradients
    together, to ``reference``'s fp32 results is at most 1.5 times ``reference``'s own.
    """
    exact_outputs, exact_grads = outputs_and_grads(reference, inputs)
    expected_outputs, expected_grads = outputs_and_grads(reference, inputs, autocast=True)
    outputs, grads = outputs_and_grads(candidate, inputs, autocast=True, fused_only=True)
    assert grads.keys() == expected_grads.keys() and grads
    for i, (actual, expected) in enumerate(zip(outputs, expected_outputs)):
        distance = _relative_error(actual, expected, atol)
        assert distance <= rtol_outputs, f'output {i}: relative distance {distance:.2e}'
    for name, grad in grads.items():
        distance = _relative_error(grad, expected_grads[name], atol)
        assert distance <= rtol_grads, f'{name}: relative distance {distance:.2e}'

    def flat(tensors: Dict[str, torch.Tensor]) -> torch.Tensor:
        return torch.cat([tensors[name].flatten() for name in sorted(tensors)])

    for actual, expected, exact, name in [
        *zip(
            outputs, expected_outputs, exact_outputs, [f'output {i}' for i in range(len(outputs))]
        ),
        (flat(grads), flat(expected_grads), flat(exact_grads), 'gradients'),
    ]:
        error = _relative_error(actual, exact, atol)
        reference_error = _relative_error(expected, exact, atol)
        assert error <= 1.5 * reference_error, (
            f'{name}: bf16 error {error:.2e} against fp32, reference {reference_error:.2e}'
        )


def saved_tensor_numel(module: nn.Module, inputs: Sequence[torch.Tensor]) -> int:
    """Elements of the tensors that autograd keeps for backward in ``module(*inputs)``.

    Tensors kept inside checkpointed blocks are not counted: checkpointing holds only what
    those blocks need to run again.
    """
    sizes = []

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        sizes.append(tensor.numel())
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        module(*inputs)
    return sum(sizes)


class FusionSwitchChecks:
    """The speed switches of a fusion encoder keep its function (mixin for a ``Test*`` class).

    Set ``fusion_cfg`` (text width 32, video width 64, two layers or more), or override
    :meth:`build_switched` for a fusion that needs more than its config.
    """

    fusion_cfg: Dict[str, Any]

    def build_switched(self, **switches: Any) -> nn.Module:
        """The fusion of ``fusion_cfg`` with ``switches``; the same weights on every call."""
        torch.manual_seed(0)
        return MODELS.build({**self.fusion_cfg, **switches})  # type: ignore[no-any-return]

    def eager_fused_and_inputs(
        self, device: str
    ) -> Tuple[nn.Module, nn.Module, Tuple[torch.Tensor, ...]]:
        """The fusion without and with fused attention, in eval mode (the eager and fused
        kernels draw their attention dropout differently), and its inputs, on ``device``."""
        eager = self.build_switched(fused_attention=False).to(device).eval()
        fused = self.build_switched().to(device).eval()
        return eager, fused, tuple(t.to(device) for t in FusionContract.inputs())

    def test_fused_attention_matches_eager(self) -> None:
        for device in devices():
            eager, fused, inputs = self.eager_fused_and_inputs(device)
            tolerance = FP32_TOLERANCE[device]
            assert_same_outputs_and_grads(
                eager, fused, inputs, atol=tolerance['atol'], rtol=tolerance['rtol']
            )

    def test_fused_attention_matches_eager_under_bf16_autocast(self) -> None:
        for device in devices():
            eager, fused, inputs = self.eager_fused_and_inputs(device)
            assert_bf16_outputs_and_grads_close(
                eager, fused, inputs, rtol_outputs=2e-2, rtol_grads=1e-1
            )

    def test_checkpointing_keeps_loss_and_gradients_and_saves_less(self) -> None:
        # training mode: the recomputed dropout masks must be the forward's
        reference = self.build_switched().train()
        checkpointed = self.build_switched(checkpointing=True).train()
        inputs = FusionContract.inputs()
        assert_same_outputs_and_grads(reference, checkpointed, inputs, atol=1e-6, rtol=1e-5)
        assert saved_tensor_numel(checkpointed, inputs) < saved_tensor_numel(reference, inputs)

    def test_compile_compiles_the_forward(self) -> None:
        counter = CompileCounter()
        reference = self.build_switched().eval()
        compiled = self.build_switched(compile=dict(backend=counter)).eval()
        assert compiled.state_dict().keys() == reference.state_dict().keys()
        inputs = FusionContract.inputs()
        with torch.no_grad():
            torch.testing.assert_close(compiled(*inputs), reference(*inputs))
        assert counter.frame_count > 0
