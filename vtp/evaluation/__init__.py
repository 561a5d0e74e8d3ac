"""Evaluation components of vtp: metrics registered in ``vtp.registry.METRICS``."""

from .metrics import *  # noqa: F401,F403
from .metrics import __all__ as _metrics_all

__all__ = list(_metrics_all)
