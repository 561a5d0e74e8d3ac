"""Checkpoint safety: weights-only vtp checkpoints, tensor-only reading of foreign ones."""

from pathlib import Path

import numpy as np
import torch
from mmengine.logging import HistoryBuffer, MessageHub

from vtp.engine.runner.vtp_runner import latest_checkpoint
from vtp.engine.runner.weights_only_checkpoint import decode_checkpoint, encode_checkpoint
from vtp.utils.pretrained import load_checkpoint_file, load_state_dict

RAN = []


class Payload:
    def __reduce__(self):
        return (RAN.append, (True,))


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


def test_stock_mmengine_checkpoint_reads_tensors_without_running_code(tmp_path: Path) -> None:
    path = tmp_path / 'stock.pth'
    torch.save(
        dict(
            state_dict={'backbone.w': torch.arange(3.0)},
            evil=Payload(),
            message_hub=message_hub_state(),
        ),
        path,
    )
    checkpoint = load_checkpoint_file(str(path))
    assert torch.equal(checkpoint['state_dict']['backbone.w'], torch.arange(3.0))
    assert not RAN
    assert list(load_state_dict(str(path))) == ['backbone.w']


def test_latest_checkpoint_ignores_partial_files(tmp_path: Path) -> None:
    assert latest_checkpoint(str(tmp_path)) is None
    for name in ('iter_2.pth', 'iter_10.pth', 'iter_12.pth.tmp', 'last_checkpoint'):
        (tmp_path / name).write_bytes(b'')
    assert latest_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_10.pth')
