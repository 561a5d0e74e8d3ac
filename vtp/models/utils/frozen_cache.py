"""Features of an encoder's frozen lower part, kept per caption (``BertTextEncoder(
frozen_cache_mb=...)``).

A frozen part (eval mode, no gradient) maps a caption to the same features every time, and a
training run meets each caption of a corpus once a pass (the demo: 22 passes over 1,872
captions). :class:`FrozenFeatureCache` keeps them after the first visit, so later visits run
only the layers that train.
"""

from typing import Any, Callable, Dict, Hashable, Iterable, List, Tuple

import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import pad_sequence

from vtp.utils.kept_bytes import KeptBytes

Compute = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


class FrozenFeatureCache(KeptBytes):
    """Token features of a frozen encoder part, per caption, kept while they fit in ``capacity``
    bytes.

    A caption is known by its token ids and mask up to its last real token (real tokens never
    attend to the padding after it, so two paddings of one caption are one caption), by its
    device and by the autocast state it was computed under; what is kept is the features of
    those positions. Positions after a caption's last real token are zeros, whether or not it
    was kept; a caption without a real token is computed every time and never kept. A caption
    that does not fit in the room left is computed on every visit (the first time, the log
    says so); nothing is evicted, as in
    :class:`~vtp.datasets.transforms.clip_cache.ClipCache`.

    Every call names the frozen part's weights: when one of them is no longer the tensor it
    was or has been written in place since the last call (a state dict loaded, a move or cast,
    an optimizer step on a weight unfrozen later), everything kept is dropped. Writes through
    ``weight.data``, which torch does not count, go unnoticed. A copy (deep-copied or pickled)
    starts empty.

    Args:
        capacity: bytes of features to keep.
    """

    what = 'frozen-feature cache'

    def __init__(self, capacity: int) -> None:
        super().__init__(capacity)
        self.features: Dict[Hashable, torch.Tensor] = {}
        self.stamp: Tuple[Tuple[int, int], ...] = ()  # the weights the features came from

    def emptied(self) -> Dict[str, Any]:
        return dict(features={}, stamp=())

    def refusal(self, nbytes: int) -> str:
        return (
            f'frozen-feature cache full ({self.used / 2**20:.1f} of '
            f'{self.capacity / 2**20:.1f} MiB, captions kept: {len(self.features)}): '
            'the others run the frozen layers on every visit'
        )

    def __len__(self) -> int:
        return len(self.features)

    def clear(self) -> None:
        """Forget every kept caption."""
        self.features, self.stamp, self.used, self.refused = {}, (), 0, False

    # eager under torch.compile: keys are bytes and the kept captions a growing dict
    @torch.compiler.disable  # type: ignore[untyped-decorator]  # torch: untyped
    def __call__(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        compute: Compute,
        weights: Iterable[torch.Tensor],
    ) -> torch.Tensor:
        """(B, L, D) features of (B, L) ``input_ids`` and ``attention_mask``; ``compute`` (same
        arguments and result, from ``weights``) runs once, on the captions not kept, if any."""
        stamp = tuple((w.data_ptr(), w._version) for w in weights)
        if stamp != self.stamp:
            self.clear()
            self.stamp = stamp
        keys, lengths = self._keys(input_ids, attention_mask)
        rows = [self.features.get(key) for key in keys]
        first: Dict[Hashable, int] = {}  # the first row of each caption not kept
        for i, (key, row) in enumerate(zip(keys, rows)):
            if row is None:
                first.setdefault(key, i)
        if first:
            index = torch.tensor(list(first.values()), device=input_ids.device)
            computed = compute(input_ids[index], attention_mask[index]).detach()
            new = {}
            for j, (key, i) in enumerate(first.items()):
                # a row without a real token: all of it, as computed, never kept
                new[key] = computed[j, : lengths[i] or None].clone()
                if lengths[i]:
                    self._add(key, new[key])
            rows = [new[key] if row is None else row for key, row in zip(keys, rows)]
        padded = pad_sequence(rows, batch_first=True)  # type: ignore[arg-type]  # (B, longest, D)
        return F.pad(padded, (0, 0, 0, input_ids.shape[1] - padded.shape[1]))

    @staticmethod
    def _keys(
        input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> Tuple[List[Hashable], List[int]]:
        """Each row's key and its length up to its last real token (a row without a real token
        gets a key of its own, never kept)."""
        real = attention_mask.bool()
        positions = torch.arange(1, real.shape[1] + 1, device=real.device)
        lengths = (real * positions).amax(1).tolist()
        kind = input_ids.device.type
        state = (
            str(input_ids.device),
            torch.get_autocast_dtype(kind) if torch.is_autocast_enabled(kind) else None,
        )
        ids = input_ids.to('cpu', torch.int64).numpy()
        mask = real.to('cpu', torch.uint8).numpy()
        keys: List[Hashable] = [
            (state, ids[i, :n].tobytes(), mask[i, :n].tobytes()) if n else ('no real token', i)
            for i, n in enumerate(lengths)
        ]
        return keys, lengths

    def _add(self, key: Hashable, features: torch.Tensor) -> None:
        nbytes = features.numel() * features.element_size()
        if not self.fits(nbytes):
            return
        self.features[key] = features
        self.used += nbytes
