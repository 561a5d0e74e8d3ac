"""The ``compile`` switch of vtp's encoders: ``torch.compile`` on a module's forward."""

from typing import Any, Dict, Union

from torch import nn


def compile_module(module: nn.Module, compile: Union[bool, Dict[str, Any]]) -> None:
    """Compile ``module``'s forward with ``torch.compile`` when ``compile`` asks for it.

    ``nn.Module.compile`` compiles in place, so parameter names and state-dict keys stay those
    of the eager module (``torch.compile(module)`` would prefix them with ``_orig_mod.``).

    Args:
        module: the module to compile.
        compile: ``False`` (eager), ``True`` (``torch.compile`` defaults) or a dict of
            ``torch.compile`` arguments (``backend``, ``mode``, ``dynamic``, ``fullgraph``,
            ``options``).
    """
    if compile is False:
        return
    if compile is True:
        module.compile()
    elif isinstance(compile, dict):
        module.compile(**compile)
    else:
        raise TypeError(
            f'{type(module).__name__}: compile must be True, False or a dict of torch.compile '
            f'arguments, got {compile!r}'
        )
