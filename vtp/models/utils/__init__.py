from .quiet_init import QuietInitMixin

__all__ = ['QuietInitMixin']
