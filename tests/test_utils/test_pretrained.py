"""Pretrained weights: every legitimate format loads (malicious ones: see
test_malicious_checkpoints.py); checkpoints named by URL are downloaded once into torch's
cache, with a clear error offline."""

import os
import re
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.runner.checkpoint import load_checkpoint
from safetensors.torch import save_file

from vtp.utils import pretrained
from vtp.utils.pretrained import (
    CheckpointError,
    checkpoint_cache_path,
    load_checkpoint_file,
    load_state_dict,
)

URL = 'https://download.example.org/models/swin_base_k400.pth'


@pytest.fixture
def torch_home(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    return tmp_path / 'torch' / 'hub' / 'checkpoints'


def test_offline_error_names_the_url_and_where_to_put_the_file(
    torch_home: Path, monkeypatch
) -> None:
    def no_network(url, dst, progress=True):
        raise OSError('[Errno 101] Network is unreachable')

    monkeypatch.setattr(torch.hub, 'download_url_to_file', no_network)
    with pytest.raises(RuntimeError) as error:
        load_state_dict(URL)
    message = str(error.value)
    assert URL in message and 'Network is unreachable' in message
    assert f'copy it to {checkpoint_cache_path(URL)} ' in message


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
    assert [p.name for p in torch_home.iterdir()] == [Path(checkpoint_cache_path(URL)).name]


def test_file_put_in_place_by_hand_needs_no_network(torch_home: Path, monkeypatch) -> None:
    path = Path(checkpoint_cache_path(URL))
    assert path.parent == torch_home and path.name.startswith('swin_base_k400-')
    assert path.suffix == '.pth'  # the URL's file name stays readable
    torch_home.mkdir(parents=True)
    torch.save({'state_dict': {'w': torch.zeros(3)}}, path)
    monkeypatch.setattr(torch.hub, 'download_url_to_file', None)  # any call would fail
    assert pretrained.download_checkpoint(URL) == str(path)
    torch.testing.assert_close(load_state_dict(URL)['w'], torch.zeros(3))


def test_urls_ending_in_the_same_name_are_cached_apart(torch_home: Path, monkeypatch) -> None:
    """``.../resolve/main/model.safetensors`` of two repositories: each URL reads its own file
    (here put in place by hand, as without network), never the other's."""
    urls = [f'https://hub.example.org/{org}/resolve/main/model.safetensors' for org in 'ab']
    urls.append(urls[0] + '?download=true')
    paths = [Path(checkpoint_cache_path(url)) for url in urls]
    assert len(set(paths)) == 3 and all(p.suffix == '.safetensors' for p in paths)
    # the whole SHA-256: a 10-digit prefix collided for two URLs in seconds of search
    assert all(re.fullmatch('model-[0-9a-f]{64}.safetensors', p.name) for p in paths)
    torch_home.mkdir(parents=True)
    for value, path in enumerate(paths):
        save_file({'w': torch.full((2,), float(value))}, str(path))
    monkeypatch.setattr(torch.hub, 'download_url_to_file', None)  # any call would fail
    for value, url in enumerate(urls):
        torch.testing.assert_close(load_state_dict(url)['w'], torch.full((2,), float(value)))


@pytest.mark.parametrize('foreign', (False, True))
@pytest.mark.parametrize('zip_format', (True, False))
def test_torch_files_load_in_both_formats(tmp_path: Path, zip_format: bool, foreign: bool) -> None:
    """Parameters, bfloat16, views sharing a storage, nested builtins, in the zip and the legacy
    format, read weights-only or (with a foreign object, here a NumPy array) tensor-only."""
    base = torch.arange(6.0)
    state = OrderedDict(
        weight=torch.nn.Parameter(torch.ones(2, 3)),
        view=base[2:4],
        base=base,
        half=torch.ones(3, dtype=torch.bfloat16),
    )
    meta = dict(epoch=3, names=['a'], shape=torch.Size([2]))
    path = tmp_path / 'model.pth'
    torch.save(
        dict(state_dict=state, meta=meta, **(dict(extra=np.arange(3)) if foreign else {})),
        path,
        _use_new_zipfile_serialization=zip_format,
    )
    checkpoint = load_checkpoint_file(str(path))
    assert checkpoint['meta'] == meta
    assert ('not loaded' in repr(checkpoint['extra'])) if foreign else 'extra' not in checkpoint
    loaded = load_state_dict(str(path))
    for key, value in state.items():
        assert loaded[key].dtype == value.dtype and torch.equal(loaded[key], value), key
    assert isinstance(loaded['weight'], torch.nn.Parameter)
    storage = loaded['base'].untyped_storage().data_ptr()
    assert loaded['view'].untyped_storage().data_ptr() == storage


def test_safetensors_loads(tmp_path: Path) -> None:
    path = tmp_path / 'model.safetensors'
    save_file({'w': torch.arange(4.0)}, str(path))
    torch.testing.assert_close(load_state_dict(str(path))['w'], torch.arange(4.0))


def test_mmengine_loads_through_the_safe_reader(tmp_path: Path) -> None:
    """mmengine's ``load_checkpoint`` (``init_cfg=dict(type='Pretrained')``) still loads."""
    source, target = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    path = tmp_path / 'linear.pth'
    torch.save({'state_dict': source.state_dict()}, path, _use_new_zipfile_serialization=False)
    load_checkpoint(target, str(path))
    torch.testing.assert_close(target.weight, source.weight)


RAN = []


class Payload:
    def __reduce__(self):
        return (RAN.append, (True,))


def test_stock_mmengine_checkpoint_reads_tensors_without_running_code(tmp_path: Path) -> None:
    """mmengine's checkpoints pickle its own classes (``HistoryBuffer``) beside the tensors."""
    hub = MessageHub.get_instance('vtp_test_stock_checkpoint')
    hub.update_scalar('train/loss', 1.0)
    path = tmp_path / 'stock.pth'
    torch.save(
        dict(
            state_dict={'backbone.w': torch.arange(3.0)},
            evil=Payload(),
            message_hub=hub.state_dict(),
        ),
        path,
    )
    checkpoint = load_checkpoint_file(str(path))
    assert torch.equal(checkpoint['state_dict']['backbone.w'], torch.arange(3.0))
    assert not RAN
    assert list(load_state_dict(str(path))) == ['backbone.w']


def test_a_checkpoint_path_under_home_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv('HOME', str(tmp_path))
    torch.save(dict(state_dict=dict(w=torch.ones(2))), tmp_path / 'model.pth')
    loaded = load_checkpoint_file('~/model.pth')
    torch.testing.assert_close(loaded['state_dict']['w'], torch.ones(2))
    with pytest.raises(FileNotFoundError, match=f'checkpoint not found: {tmp_path}/absent.pth'):
        load_checkpoint_file('~/absent.pth')


def test_a_path_that_is_not_a_regular_file_is_named_for_what_it_is(tmp_path):
    """A folder, a FIFO, a dangling or looping link: not 'checkpoint not found'."""
    (tmp_path / 'folder.pth').mkdir()
    os.mkfifo(tmp_path / 'fifo.pth')
    (tmp_path / 'dangling.pth').symlink_to(tmp_path / 'gone.pth')
    (tmp_path / 'loop.pth').symlink_to(tmp_path / 'loop.pth')
    for name, kind in [
        ('folder', 'a folder'),
        ('fifo', 'not a regular file'),
        ('dangling', 'not a regular file'),
        ('loop', 'not a regular file'),
    ]:
        with pytest.raises(CheckpointError, match=f'{tmp_path}/{name}.pth: {kind}'):
            load_checkpoint_file(str(tmp_path / f'{name}.pth'))


def test_a_state_dict_key_that_is_not_a_string_is_named(tmp_path):
    torch.save(dict(state_dict={'w': torch.ones(1), 1: torch.ones(1)}), tmp_path / 'int_key.pth')
    with pytest.raises(CheckpointError, match='state dict key 1 is of type int, not a string'):
        load_checkpoint_file(str(tmp_path / 'int_key.pth'))
