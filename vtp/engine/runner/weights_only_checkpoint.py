"""Keep vtp checkpoints loadable with ``torch.load(weights_only=True)``.

mmengine puts its ``MessageHub`` in every checkpoint: ``HistoryBuffer`` objects (pickled with
``getattr`` of bound methods) and NumPy arrays and scalars. Allowing those globals in the
weights-only unpickler would let a crafted file call arbitrary methods, so vtp instead stores
them as tensors and builtins and rebuilds them after loading.
"""

from typing import Any

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer

HISTORY_BUFFER_TAG = '__vtp_history_buffer__'
ENCODED_KEYS = ('meta', 'message_hub')


def _encode(obj: Any) -> Any:
    if isinstance(obj, HistoryBuffer):
        logs, counts = obj.data
        return {
            HISTORY_BUFFER_TAG: True,
            'max_length': obj.max_length,
            'log': torch.from_numpy(np.asarray(logs, dtype=np.float64)),
            'count': torch.from_numpy(np.asarray(counts, dtype=np.int64)),
        }
    if isinstance(obj, np.ndarray):
        return torch.from_numpy(np.array(obj))
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        return {key: _encode(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_encode(value) for value in obj)
    return obj


def _decode(obj: Any) -> Any:
    if isinstance(obj, dict) and obj.get(HISTORY_BUFFER_TAG) is True:
        return HistoryBuffer(obj['log'].numpy(), obj['count'].numpy(), obj['max_length'])
    if isinstance(obj, dict):
        return {key: _decode(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_decode(value) for value in obj)
    return obj


def encode_checkpoint(checkpoint: dict[str, Any]) -> None:
    """In place: make ``meta`` and ``message_hub`` hold only tensors and builtins."""
    for key in ENCODED_KEYS:
        if key in checkpoint:
            checkpoint[key] = _encode(checkpoint[key])


def decode_checkpoint(checkpoint: dict[str, Any]) -> None:
    """In place: rebuild what :func:`encode_checkpoint` turned into tensors and dicts."""
    for key in ENCODED_KEYS:
        if key in checkpoint:
            checkpoint[key] = _decode(checkpoint[key])
