"""One failed process stops the whole distributed job, with a message naming it.

Without this, the other ranks wait in their next collective until the process group's timeout
(30 minutes by default) when one rank raises or is killed under a launcher that does not watch
its processes (``srun``, ``mpirun``, processes started by hand); ``torchrun`` stops them too,
but its report does not say why.
"""

import atexit
import os
import sys
import threading
import time
from types import TracebackType
from typing import Optional, Type

import torch.distributed as dist

_active: Optional['RankWatchdog'] = None


def is_communication_error(error: BaseException) -> bool:
    """Whether ``error`` comes from a collective (a peer that vanished, a timeout)."""
    text = str(error).lower()
    return isinstance(error, dist.DistError) or 'gloo' in text or 'nccl' in text


class RankWatchdog:
    """A daemon thread per rank that shares failures through the process group's store.

    - A rank that ends abnormally (an uncaught exception, ``sys.exit`` before the job is
      over) writes ``rank R failed: <what happened>`` to the store; every other rank reads it
      within ``interval`` seconds, prints ``rank N stops: rank R failed: ...`` and exits with
      code 1.
    - Each rank beats a counter in the store every ``interval`` seconds and watches the next
      rank's (a ring, so the store sees about three requests per rank per interval at any
      scale). A counter that stands still for ``timeout`` seconds means that rank was killed
      (``kill -9``, the OOM killer) or hangs while holding the interpreter; the watcher
      reports it as failed. Rank 0 hosts the store: when it disappears the others say so.
      A rank whose own collective fails because of a dead peer waits for this verdict (at
      most ``timeout`` seconds) before its traceback, so the message names the dead rank.

    The beats come from a thread, so a long evaluation, checkpoint or data wait is not
    mistaken for a dead rank. Start with :func:`start_rank_watchdog` once the default process
    group exists; at the end of a successful job every rank calls :func:`stop_rank_watchdog`
    after a barrier (``VTPRunner`` does both around ``train``, ``val`` and ``test``).
    """

    def __init__(self, timeout: float, interval: float) -> None:
        if timeout <= interval or interval <= 0:
            raise ValueError(
                f'rank watchdog: need 0 < interval < timeout, got interval '
                f'{interval}, timeout {timeout}'
            )
        self.timeout, self.interval = timeout, interval
        self.rank, self.world_size = dist.get_rank(), dist.get_world_size()
        # The default group's store: the one rendezvous every launcher already provides.
        self.store = dist.distributed_c10d.PrefixStore(
            'vtp_rank_watchdog/', dist.distributed_c10d._get_default_store()
        )
        self.pid = os.getpid()
        self.stopped = threading.Event()
        self.failure: Optional[str] = None
        self.thread = threading.Thread(target=self._watch, name='vtp-rank-watchdog', daemon=True)

    def start(self) -> None:
        self._previous_hook = sys.excepthook
        sys.excepthook = self._excepthook
        atexit.register(self._atexit)
        self.thread.start()

    def stop(self) -> None:
        """End watching (every rank must have finished its collectives)."""
        self.stopped.set()
        self.thread.join()
        sys.excepthook = self._previous_hook
        atexit.unregister(self._atexit)

    def _excepthook(
        self, kind: Type[BaseException], value: BaseException, traceback: Optional[TracebackType]
    ) -> None:
        self.failure = f'{kind.__name__}: {value}'.splitlines()[0]
        if is_communication_error(value):  # the cause is another rank: give the thread time
            deadline = time.monotonic() + self.timeout + 2 * self.interval  # to name it
            while time.monotonic() < deadline and self.thread.is_alive():
                time.sleep(self.interval)
        self._previous_hook(kind, value, traceback)

    def _atexit(self) -> None:
        """The interpreter exits while the job runs: tell the other ranks."""
        if os.getpid() != self.pid or self.stopped.is_set():  # a forked child, or done
            return
        self.stopped.set()
        try:
            self.store.set(
                'failed',
                f'rank {self.rank} failed: '
                f'{self.failure or "the process exited before the job ended"}',
            )
        except Exception:  # the store is gone too: the others notice on their own
            return
        if self.rank == 0:  # the store dies with this process: let the others read it
            time.sleep(2 * self.interval)

    def _abort(self, reason: str) -> None:
        if self.stopped.is_set():
            return
        print(f'rank {self.rank} stops: {reason}', file=sys.stderr, flush=True)
        os._exit(1)

    def _watch(self) -> None:
        neighbour = (self.rank + 1) % self.world_size
        last_beat, last_change = -1, time.monotonic()
        while not self.stopped.wait(self.interval):
            try:
                self.store.add(f'beat/{self.rank}', 1)
                if self.store.check(['failed']):
                    self._abort(self.store.get('failed').decode())
                beat = self.store.add(f'beat/{neighbour}', 0)
            except Exception as e:  # the store lives in rank 0's process
                if self.stopped.wait(self.interval):
                    return  # the job ended meanwhile
                self._abort(
                    f"lost contact with rank 0, which hosts the job's store "
                    f'({type(e).__name__}): rank 0 has stopped'
                )
                return
            now = time.monotonic()
            if beat != last_beat:
                last_beat, last_change = beat, now
            elif now - last_change > self.timeout and neighbour != self.rank:
                reason = (
                    f'rank {neighbour} stopped responding: no sign of life for '
                    f'{self.timeout:g} s (killed, or hung holding the interpreter)'
                )
                try:
                    self.store.set('failed', reason)
                finally:
                    self._abort(reason)


def start_rank_watchdog(timeout: float = 300.0, interval: float = 2.0) -> None:
    """Watch the ranks of the default process group (no-op without one, or when started)."""
    global _active
    if (
        _active is None
        and dist.is_available()
        and dist.is_initialized()
        and dist.get_world_size() > 1
    ):
        _active = RankWatchdog(timeout, interval)
        _active.start()


def stop_rank_watchdog() -> None:
    """Stop watching (no-op when not watching); call on every rank after a barrier."""
    global _active
    if _active is not None:
        _active.stop()
        _active = None
