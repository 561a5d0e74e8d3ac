"""Tests for ``encode_checkpoint`` / ``decode_checkpoint``: vtp checkpoints load weights-only."""

from pathlib import Path

import numpy as np
import torch
from mmengine.logging import HistoryBuffer, MessageHub

from vtp.engine.runner.weights_only_checkpoint import decode_checkpoint, encode_checkpoint


def message_hub_state() -> dict:
    hub = MessageHub.get_instance('vtp_test_checkpoints')
    for value in (1.0, 2.0, 4.0):
        hub.update_scalar('train/loss', value)
    hub.update_info('eta', np.float64(12.5))
    return hub.state_dict()


def test_encoded_checkpoint_loads_weights_only_and_round_trips(tmp_path: Path) -> None:
    checkpoint = dict(
        state_dict={'w': torch.ones(2)},
        message_hub=message_hub_state(),
        meta=dict(seed=np.int64(3), iter=5),
    )
    encode_checkpoint(checkpoint)
    torch.save(checkpoint, tmp_path / 'ckpt.pth')
    loaded = torch.load(tmp_path / 'ckpt.pth', weights_only=True)
    decode_checkpoint(loaded)
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.mean() == 7.0 / 3 and buffer.current() == 4.0
    assert loaded['message_hub']['runtime_info']['eta'] == 12.5
    assert loaded['meta'] == dict(seed=3, iter=5)
