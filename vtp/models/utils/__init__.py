from .checkpointing import checkpoint_call, checkpoint_modules
from .compile_module import compile_module
from .quiet_init import QuietInitMixin

__all__ = ['QuietInitMixin', 'checkpoint_call', 'checkpoint_modules', 'compile_module']
