"""The room of an in-memory cache that keeps what fits and evicts nothing (decoded clips, the
features of frozen layers)."""

from typing import Any, Dict

from mmengine.logging import MMLogger


class KeptBytes:
    """Base of a cache holding at most ``capacity`` bytes, counted in ``used``, that evicts
    nothing: an entry that does not fit in the room left is not kept, and the first refusal is
    logged (:meth:`refusal` says it). A copy (pickled for a loader worker, or deep-copied)
    starts empty: subclasses name what it holds in :meth:`emptied`.

    Args:
        capacity: bytes to keep.
    """

    what = 'cache'  # the cache's name in messages

    def __init__(self, capacity: int) -> None:
        if capacity <= 0:
            raise ValueError(f'the {self.what} needs a positive capacity, got {capacity} bytes')
        self.capacity = capacity
        self.used = 0
        self.refused = False  # whether an entry did not fit yet (logged once)

    def emptied(self) -> Dict[str, Any]:
        """The attributes, besides ``used`` and ``refused``, of an empty copy."""
        return {}

    def __getstate__(self) -> Dict[str, Any]:
        return dict(self.__dict__, used=0, refused=False, **self.emptied())

    def refusal(self, nbytes: int) -> str:
        """The log line for the first entry of ``nbytes`` that does not fit."""
        raise NotImplementedError

    def fits(self, nbytes: int, freed: int = 0) -> bool:
        """Whether ``nbytes`` fit in the room left plus ``freed`` (what the entry replaces);
        the first time not, the log says so."""
        if nbytes <= self.capacity - self.used + freed:
            return True
        if not self.refused:
            self.refused = True
            MMLogger.get_current_instance().info(self.refusal(nbytes))
        return False
