"""Checkpoints named by URL: downloaded once into torch's cache, a clear error offline."""
from pathlib import Path

import pytest
import torch

from vtp.utils import pretrained
from vtp.utils.pretrained import load_state_dict

URL = 'https://download.example.org/models/swin_base_k400.pth'


@pytest.fixture
def torch_home(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    return tmp_path / 'torch' / 'hub' / 'checkpoints'


def test_offline_error_names_the_url_and_where_to_put_the_file(torch_home: Path,
                                                                monkeypatch) -> None:
    def no_network(url, dst, progress=True):
        raise OSError('[Errno 101] Network is unreachable')

    monkeypatch.setattr(torch.hub, 'download_url_to_file', no_network)
    with pytest.raises(RuntimeError) as error:
        load_state_dict(URL)
    message = str(error.value)
    assert URL in message and 'Network is unreachable' in message
    assert str(torch_home / 'swin_base_k400.pth') in message


def test_downloaded_once_then_read_from_the_cache(torch_home: Path, monkeypatch) -> None:
    calls = []

    def fake_download(url, dst, progress=True):
        calls.append(url)
        torch.save({'state_dict': {'backbone.w': torch.ones(2)}}, dst)

    monkeypatch.setattr(torch.hub, 'download_url_to_file', fake_download)
    for _ in range(2):
        state = load_state_dict(URL)
        torch.testing.assert_close(state['backbone.w'], torch.ones(2))
    assert calls == [URL]
    assert (torch_home / 'swin_base_k400.pth').is_file()


def test_file_put_in_place_by_hand_needs_no_network(torch_home: Path, monkeypatch) -> None:
    torch_home.mkdir(parents=True)
    torch.save({'state_dict': {'w': torch.zeros(3)}}, torch_home / 'swin_base_k400.pth')
    monkeypatch.setattr(torch.hub, 'download_url_to_file', None)  # any call would fail
    assert pretrained.download_checkpoint(URL) == str(torch_home / 'swin_base_k400.pth')
    torch.testing.assert_close(load_state_dict(URL)['w'], torch.zeros(3))
