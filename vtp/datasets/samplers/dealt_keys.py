"""How a global stream of keys is dealt to ranks: the one mapping sampler and datasets share."""

from typing import Tuple


def global_position(position: int, rank: int, world_size: int) -> int:
    """Position in the global stream of the ``position``-th key of ``rank`` (of ``world_size``):
    keys are dealt round-robin, so rank ``r`` reads ``r, r + W, r + 2W, ...``."""
    return position * world_size + rank


def rank_position(global_pos: int, world_size: int) -> Tuple[int, int]:
    """Inverse of :func:`global_position`: ``(position in its rank's stream, rank)``."""
    return divmod(global_pos, world_size)
