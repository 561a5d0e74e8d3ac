"""Tests for ``die_with_parent`` / ``init_worker``: a dataloader worker asks the kernel to kill
it with its parent (the end-to-end check, a killed run, is in test_tools/test_orphan_workers)."""

import ctypes
import multiprocessing
import signal
import sys

import pytest

from vtp.utils.process import die_with_parent, init_worker

_PR_GET_PDEATHSIG = 2


def parent_death_signal() -> int:
    value = ctypes.c_int()
    ctypes.CDLL(None).prctl(_PR_GET_PDEATHSIG, ctypes.byref(value), 0, 0, 0)
    return value.value


def report_signal(queue) -> None:
    init_worker(3, user_init=queue.put)
    queue.put(parent_death_signal())


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='prctl is Linux only')
def test_a_worker_dies_with_its_parent_and_still_runs_the_user_init():
    context = multiprocessing.get_context('fork')
    queue = context.Queue()
    worker = context.Process(target=report_signal, args=(queue,))
    worker.start()
    assert queue.get(timeout=30) == 3  # user_init(worker_id)
    assert queue.get(timeout=30) == signal.SIGKILL
    worker.join(timeout=30)
    assert worker.exitcode == 0


def test_the_main_process_is_left_alone():
    before = parent_death_signal() if sys.platform.startswith('linux') else None
    die_with_parent()
    assert before is None or parent_death_signal() == before
