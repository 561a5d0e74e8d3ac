from .quiet_optim_wrapper_constructor import QuietOptimWrapperConstructor

__all__ = ['QuietOptimWrapperConstructor']
