from .amp_optim_wrapper import AmpOptimWrapper
from .quiet_optim_wrapper_constructor import QuietOptimWrapperConstructor

__all__ = ['AmpOptimWrapper', 'QuietOptimWrapperConstructor']
