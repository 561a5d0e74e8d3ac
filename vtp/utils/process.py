"""Processes that end with their parent: dataloader workers never outlive a killed run."""

import ctypes
import multiprocessing
import os
import signal
import sys
from typing import Callable, Optional

_PR_SET_PDEATHSIG = 1  # prctl option: the signal this process gets when its parent dies


def die_with_parent() -> None:
    """Make the kernel kill this process (SIGKILL) when its parent dies; exit now if the parent
    is already gone.

    A dataloader worker notices a dead parent only between batches, and one blocked writing a
    batch that nobody reads anymore never does: after a ``kill -9`` of the training process it
    stays alive, holding memory and shared-memory segments. Linux only (``prctl``); elsewhere
    the worker keeps PyTorch's own check.
    """
    parent = multiprocessing.parent_process()
    if not sys.platform.startswith('linux') or parent is None:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return  # a sandbox that forbids prctl: PyTorch's check remains
    if os.getppid() != parent.pid:  # the parent died before prctl took effect
        os._exit(1)


def init_worker(worker_id: int, user_init: Optional[Callable[[int], None]] = None) -> None:
    """A dataloader ``worker_init_fn``: :func:`die_with_parent`, then ``user_init``."""
    die_with_parent()
    if user_init is not None:
        user_init(worker_id)
