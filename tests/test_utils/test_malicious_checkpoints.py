"""Malicious checkpoints: no way vtp reads a checkpoint runs code from it.

Each payload creates a marker file when pickle unpickles it (``os.system``, ``open``,
``Path.touch`` reached through ``getattr``, ``exec``). It is written in torch's zip format, in
its legacy format and as a bare pickle (what the legacy reader unpickles first), and given to
every entry point: ``load_checkpoint_file`` / ``load_state_dict``, ``VTPRunner.load_checkpoint``
(``load_from``, ``tools/test.py``) and ``resume``, ``tools/train.py --resume`` and
``tools/test.py`` themselves, ``VideoSwinEncoder(pretrained=...)``, mmengine's
``init_cfg=dict(type='Pretrained')``, mmaction2's own 2D-inflation loader and
``BertTextEncoder`` (transformers). Each must refuse with one error naming the file, and the
marker must never appear.
"""

import os
import pickle
import shlex
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Tuple

import pytest
import torch
from mmengine.model import BaseModel
from transformers import BertConfig

from vtp.apis.feature_cache import load_video_features
from vtp.engine.runner.vtp_runner import VTPRunner
from vtp.registry import MODELS
from vtp.testing import TOY_VIDEO, run_tool, write_toy_config
from vtp.utils.pretrained import (
    CheckpointError,
    checkpoint_cache_path,
    load_checkpoint_file,
    load_state_dict,
)

FORMATS = ('zip', 'legacy', 'bare pickle')
PAYLOADS = ('os.system', 'open', 'Path.touch', 'exec')


class Payload:
    """Unpickling it calls ``call(*args)``."""

    def __init__(self, call: Callable, args: Tuple) -> None:
        self.call, self.args = call, args

    def __reduce__(self) -> Tuple[Callable, Tuple]:
        return self.call, self.args


def payload(kind: str, marker: Path) -> Payload:
    """A payload that creates ``marker``; ``Path.touch`` is pickled as ``getattr(Path, 'touch')``
    at protocol 2, the protocol torch writes."""
    return Payload(
        *{
            'os.system': (os.system, (f'touch {shlex.quote(str(marker))}',)),
            'open': (open, (str(marker), 'w')),
            'Path.touch': (Path.touch, (marker,)),
            'exec': (exec, (f'open({str(marker)!r}, "w").close()',)),
        }[kind]
    )


def write(path: Path, obj: Any, fmt: str) -> Path:
    if fmt == 'bare pickle':
        with open(path, 'wb') as f:
            pickle.dump(obj, f, protocol=2)
    else:
        torch.save(obj, path, _use_new_zipfile_serialization=fmt == 'zip')
    return path


def malicious(tmp_path: Path, fmt: str, kind: str = 'os.system') -> Path:
    """A file in ``fmt`` whose top-level object is the payload (the reported attack)."""
    name = f'{kind}_{fmt}.pth'.replace(' ', '_')
    return write(tmp_path / name, payload(kind, tmp_path / 'MARKER'), fmt)


def cached_malicious(torch_home: Path, fmt: str, url: str) -> None:
    """The payload file in torch's cache as the download of ``url`` (no network needed)."""
    write(Path(checkpoint_cache_path(url)), payload('os.system', torch_home / 'MARKER'), fmt)


def assert_refused(error: pytest.ExceptionInfo, path: Path) -> None:
    """One error naming the file: no exception chain behind it, the marker never made."""
    assert str(path) in str(error.value)
    assert error.value.__cause__ is None
    assert error.value.__context__ is None or error.value.__suppress_context__
    assert not (path.parent / 'MARKER').exists()


@pytest.mark.parametrize('kind', PAYLOADS)
@pytest.mark.parametrize('fmt', FORMATS)
def test_the_payloads_run_when_unpickled(tmp_path: Path, fmt: str, kind: str) -> None:
    """The files are live: plain unpickling creates the marker (so the tests below can fail)."""
    path = malicious(tmp_path, fmt, kind)
    try:
        if fmt == 'bare pickle':
            with open(path, 'rb') as f:
                pickle.load(f)
        else:
            torch.load(path, weights_only=False)
    except RuntimeError:  # a bare pickle is no torch file, but the code has run by then
        pass
    assert (tmp_path / 'MARKER').exists()


@pytest.mark.parametrize('kind', PAYLOADS)
@pytest.mark.parametrize('fmt', FORMATS)
def test_loaders_refuse_without_running_code(tmp_path: Path, fmt: str, kind: str) -> None:
    path = malicious(tmp_path, fmt, kind)
    for load in (load_checkpoint_file, load_state_dict):
        with pytest.raises(CheckpointError, match='never import') as error:
            load(str(path))
        assert_refused(error, path)


@pytest.mark.parametrize('fmt', ('zip', 'legacy'))
def test_payload_inside_a_checkpoint(tmp_path: Path, fmt: str) -> None:
    """Where a tensor belongs it is refused; elsewhere (in ``meta``) it stays an inert
    placeholder and the tensors load; ``meta`` itself must be a dict."""
    evil = payload('os.system', tmp_path / 'MARKER')
    in_state = write(
        tmp_path / 'in_state.pth', {'state_dict': {'w': torch.ones(2), 'x': evil}}, fmt
    )
    with pytest.raises(CheckpointError, match="expected a tensor at 'x'") as error:
        load_state_dict(str(in_state))
    assert_refused(error, in_state)

    in_meta = write(
        tmp_path / 'in_meta.pth', {'state_dict': {'w': torch.ones(2)}, 'meta': {'note': evil}}, fmt
    )
    checkpoint = load_checkpoint_file(str(in_meta))
    torch.testing.assert_close(checkpoint['state_dict']['w'], torch.ones(2))
    assert 'not loaded' in repr(checkpoint['meta']['note'])
    as_meta = write(
        tmp_path / 'as_meta.pth', {'state_dict': {'w': torch.ones(2)}, 'meta': evil}, fmt
    )
    with pytest.raises(CheckpointError, match="'meta' is an object built by posix.system"):
        load_checkpoint_file(str(as_meta))
    assert not (tmp_path / 'MARKER').exists()


@pytest.mark.parametrize(
    'content, problem',
    [
        (os.urandom(256), 'not a torch checkpoint'),
        (b'', 'not a torch checkpoint'),
        (b'PK\x03\x04' + bytes(100), 'not a torch checkpoint'),
        (pickle.dumps({'w': 1.0}, protocol=2), 'Invalid magic number'),
    ],
)
def test_broken_files_give_one_clear_error(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / 'broken.pth'
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=problem) as error:
        load_checkpoint_file(str(path))
    assert_refused(error, path)


@pytest.mark.parametrize('fmt', ('zip', 'legacy'))
def test_truncated_and_non_dict_files_are_refused(tmp_path: Path, fmt: str) -> None:
    whole = write(tmp_path / 'whole.pth', {'w': torch.ones(4096)}, fmt)
    truncated = tmp_path / 'truncated.pth'
    truncated.write_bytes(whole.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match='not a torch checkpoint') as error:
        load_checkpoint_file(str(truncated))
    assert_refused(error, truncated)
    a_list = write(tmp_path / 'list.pth', [torch.ones(2)], fmt)
    with pytest.raises(CheckpointError, match='expected a dict at the top level, found a list'):
        load_checkpoint_file(str(a_list))


def test_other_schemes_and_bad_safetensors_are_refused(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match='local files and http'):
        load_checkpoint_file('open-mmlab://resnet50_v1c')
    path = tmp_path / 'weights.safetensors'
    path.write_bytes(b'not safetensors')
    with pytest.raises(CheckpointError, match='not a safetensors file') as error:
        load_checkpoint_file(str(path))
    assert_refused(error, path)


class ToyModel(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(2, 2)

    def forward(self, *args, **kwargs) -> dict:
        return {}


@pytest.fixture
def torch_home(tmp_path: Path, monkeypatch) -> Path:
    """torch's download cache, in ``tmp_path``: a URL whose file is there needs no network."""
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    cache = tmp_path / 'torch' / 'hub' / 'checkpoints'
    cache.mkdir(parents=True)
    return cache


@pytest.mark.parametrize('fmt', FORMATS)
def test_runner_load_resume_and_url_refuse(tmp_path: Path, torch_home: Path, fmt: str) -> None:
    """``load_from`` and ``tools/test.py`` call ``load_checkpoint``, ``--resume`` calls
    ``resume``; a URL goes through mmengine's loaders, which would read it with
    ``weights_only=False``."""
    path = malicious(tmp_path, fmt)
    runner = VTPRunner(
        model=ToyModel(),
        work_dir=str(tmp_path / 'work'),
        default_scope='vtp',
        experiment_name=f'malicious_{fmt}',
    )
    for load in (runner.load_checkpoint, runner.resume):
        with pytest.raises(CheckpointError, match='never import') as error:
            load(str(path))
        assert_refused(error, path)
    url = f'https://example.org/{path.name}'
    cached_malicious(torch_home, fmt, url)
    with pytest.raises(CheckpointError, match='never import') as error:
        runner.load_checkpoint(url)
    assert url in str(error.value)
    assert not (torch_home / 'MARKER').exists()


@pytest.mark.parametrize('fmt', FORMATS)
def test_video_encoder_pretrained_refuses(tmp_path: Path, torch_home: Path, fmt: str) -> None:
    """``pretrained=``, and mmengine's ``init_cfg`` Pretrained with a file or a URL."""
    path = malicious(tmp_path, fmt)
    url = f'https://example.org/{path.name}'
    cached_malicious(torch_home, fmt, url)
    for extra in (
        dict(pretrained=str(path)),
        dict(init_cfg=dict(type='Pretrained', checkpoint=str(path))),
        dict(init_cfg=dict(type='Pretrained', checkpoint=url)),
    ):
        encoder = MODELS.build({**TOY_VIDEO, **extra})
        with pytest.raises(CheckpointError, match='never import') as error:
            encoder.init_weights()
        assert str(path.name) in str(error.value)
    assert not (tmp_path / 'MARKER').exists() and not (torch_home / 'MARKER').exists()


def test_mmaction2_inflation_loader_refuses(tmp_path: Path) -> None:
    """vtp passes ``pretrained=None`` to mmaction2's backbone; its own loader is safe anyway."""
    from mmaction.models.backbones.swin import SwinTransformer3D

    path = malicious(tmp_path, 'legacy')
    backbone = SwinTransformer3D(
        arch=dict(embed_dims=32, depths=[1, 1], num_heads=[2, 2]),
        pretrained=str(path),
        pretrained2d=True,
        window_size=(2, 4, 4),
        out_indices=(1,),
    )
    with pytest.raises(CheckpointError) as error:
        backbone.init_weights()
    assert_refused(error, path)


def tiny_bert(folder: Path) -> Path:
    """A BERT config (no weights) in ``folder``."""
    BertConfig(
        vocab_size=64,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
    ).save_pretrained(folder)
    return folder


@pytest.mark.parametrize('fmt', FORMATS)
def test_text_encoder_reads_bin_weights_only(tmp_path: Path, fmt: str) -> None:
    """transformers reads a local ``pytorch_model.bin`` with ``weights_only=True``."""
    model_dir = tiny_bert(tmp_path / 'bert')
    write(model_dir / 'pytorch_model.bin', payload('exec', tmp_path / 'MARKER'), fmt)
    with pytest.raises(pickle.UnpicklingError, match='Weights only load failed'):
        MODELS.build(dict(type='BertTextEncoder', pretrained=str(model_dir)))
    assert not (tmp_path / 'MARKER').exists()


def test_tools_refuse_without_running_code(tmp_path: Path, moving_shapes_root: str) -> None:
    """The tools end to end, one format each (the calls they make are tested above with all
    three): ``tools/train.py --resume FILE`` with the reported bare pickle, ``tools/test.py
    CONFIG FILE`` with a zip file, run concurrently to keep the test short."""
    config = str(
        write_toy_config(
            tmp_path / 'toy.py', 'configs/pretrain/moving_shapes.py', moving_shapes_root, iters=1
        )
    )
    bare, zipped = str(malicious(tmp_path, 'bare pickle')), str(malicious(tmp_path, 'zip'))
    runs = [
        (bare, ('tools/train.py', config, '--resume', bare, '--work-dir', str(tmp_path / 'train'))),
        (zipped, ('tools/test.py', config, zipped, '--work-dir', str(tmp_path / 'test'))),
    ]

    def failed_output(args: Tuple[str, ...]) -> str:
        with pytest.raises(AssertionError) as error:
            run_tool(*args)
        return str(error.value)

    with ThreadPoolExecutor(len(runs)) as pool:
        outputs = list(pool.map(failed_output, [args for _, args in runs]))
    for (path, args), output in zip(runs, outputs):
        last_line = output.strip().splitlines()[-1]
        assert last_line.startswith(f'vtp.utils.pretrained.CheckpointError: {path}: '), (
            args,
            output,
        )
        assert 'During handling' not in output and 'direct cause' not in output, output
    assert not (tmp_path / 'MARKER').exists()


def test_resume_never_runs_the_config_source_in_meta(tmp_path: Path) -> None:
    """mmengine's ``resume`` executes ``meta['config']`` as a Python config after
    ``load_checkpoint``: the loaded checkpoint no longer has it."""
    marker = tmp_path / 'MARKER'
    path = tmp_path / 'evil_meta.pth'
    torch.save(
        dict(
            state_dict=ToyModel().state_dict(),
            message_hub=dict(),
            meta=dict(epoch=0, iter=0, config=f"x = __import__('os').system('touch {marker}')\n"),
        ),
        path,
    )
    runner = VTPRunner(
        model=ToyModel(),
        work_dir=str(tmp_path / 'work'),
        default_scope='vtp',
        experiment_name='malicious_meta',
    )
    checkpoint = runner.load_checkpoint(str(path))
    assert checkpoint['meta'] == dict(epoch=0, iter=0)
    assert not marker.exists()


SCRIPTED_PAYLOAD = """
import torch
from typing import Tuple


class Evil(torch.nn.Module):

    @torch.jit.export
    def __getstate__(self) -> Tuple[int, bool]:
        return (1, self.training)

    @torch.jit.export
    def __setstate__(self, state: Tuple[int, bool]) -> None:
        marker = torch.from_file(MARKER, True, 8, dtype=torch.uint8)
        self.training = state[1] or bool(int(marker.sum().item()) == -1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x
"""


def scripted_payload(tmp_path: Path) -> Path:
    """A TorchScript archive whose ``__setstate__`` creates ``tmp_path / 'MARKER'``."""
    module = tmp_path / 'scripted_payload.py'
    module.write_text(SCRIPTED_PAYLOAD.replace('MARKER', repr(str(tmp_path / 'MARKER'))))
    namespace: dict = {}
    exec(compile(module.read_text(), str(module), 'exec'), namespace)
    path = tmp_path / 'scripted.pt'
    torch.jit.save(torch.jit.script(namespace['Evil']()), str(path))
    return path


def test_a_file_swapped_between_the_passes_is_not_read(tmp_path: Path, monkeypatch) -> None:
    """The weights-only pass refuses a global; if the file were opened again for the second
    pass, a TorchScript archive put in its place meanwhile would reach torch.jit.load."""
    path = malicious(tmp_path, 'zip')
    scripted = scripted_payload(tmp_path)
    real_load, calls = torch.load, []

    def load_then_swap(f, *args, **kwargs):
        calls.append(f)
        try:
            return real_load(f, *args, **kwargs)
        finally:
            if len(calls) == 1:
                os.replace(scripted, path)

    monkeypatch.setattr(torch, 'load', load_then_swap)
    with pytest.raises(CheckpointError, match='built by posix.system'):
        load_checkpoint_file(str(path))
    assert len(calls) == 2 and not (tmp_path / 'MARKER').exists()


def test_torchscript_never_reaches_the_second_pass(tmp_path: Path, monkeypatch) -> None:
    """Whatever the weights-only pass raises for a TorchScript archive (torch 2.13: a
    RuntimeError; an UnpicklingError would lead to the second pass), it is refused."""
    path = scripted_payload(tmp_path)
    real_load = torch.load

    def refusing_load(f, *args, weights_only=None, **kwargs):
        if weights_only:
            raise pickle.UnpicklingError('refused')
        return real_load(f, *args, weights_only=weights_only, **kwargs)

    monkeypatch.setattr(torch, 'load', refusing_load)
    with pytest.raises(CheckpointError, match='TorchScript') as error:
        load_checkpoint_file(str(path))
    assert_refused(error, path)


def test_attributes_set_by_the_file_are_dropped(tmp_path: Path) -> None:
    """An OrderedDict rebuilt with an ``items`` attribute would hide its placeholders."""

    class Shadowed:
        def __reduce__(self):
            from collections import OrderedDict

            from torch._tensor import _rebuild_from_type_v2

            evil = payload('os.system', tmp_path / 'MARKER')
            return _rebuild_from_type_v2, (
                OrderedDict,
                OrderedDict,
                (),
                {'items': torch.Size, 'w': evil},
            )

    path = write(tmp_path / 'shadowed.pth', dict(state_dict=Shadowed()), 'zip')
    checkpoint = load_checkpoint_file(str(path))
    assert list(checkpoint['state_dict'].items()) == []  # the attribute did not survive
    assert not (tmp_path / 'MARKER').exists()


@pytest.mark.parametrize(
    'state_dict,problem',
    [
        ({'linear.weight': 3}, "'linear.weight' holds a int, not a tensor"),
        ({'linear.weight': [torch.ones(1)]}, "'linear.weight' holds a list, not a tensor"),
    ],
)
def test_runner_refuses_non_tensor_state(tmp_path: Path, state_dict: dict, problem: str) -> None:
    path = tmp_path / 'odd.pth'
    torch.save(dict(state_dict=state_dict), path)
    runner = VTPRunner(
        model=ToyModel(),
        work_dir=str(tmp_path / 'work'),
        default_scope='vtp',
        experiment_name=f'odd_{len(problem)}',
    )
    with pytest.raises(CheckpointError, match=problem):
        runner.load_checkpoint(str(path))


def test_names_in_messages_cannot_forge_log_lines(tmp_path: Path) -> None:
    path = tmp_path / 'forged.pth'
    path.write_bytes(b'\x80\x02c__main__\nx\nCheckpointError: all good\x1b[0m\n)\x81.')
    with pytest.raises(CheckpointError) as error:
        load_checkpoint_file(str(path))
    assert '\n' not in str(error.value) and '\x1b' not in str(error.value)


def test_library_additions_to_torchs_allow_list_are_not_trusted(
    tmp_path: Path, monkeypatch
) -> None:
    """torch.distributed puts ``DeviceMesh`` on torch's weights-only allow-list; building one
    can start a process group, so vtp's weights-only pass does without such additions."""
    from torch.distributed.device_mesh import DeviceMesh

    built = []
    monkeypatch.setattr(DeviceMesh, '__init__', lambda self, *args, **kwargs: built.append(args))
    assert DeviceMesh in torch.serialization.get_safe_globals()
    path = write(
        tmp_path / 'mesh.pth',
        dict(state_dict={'w': torch.ones(1)}, meta=dict(mesh=Payload(DeviceMesh, ('cpu', (0,))))),
        'zip',
    )
    checkpoint = load_checkpoint_file(str(path))
    assert not built and 'not loaded' in repr(checkpoint['meta']['mesh'])
    assert DeviceMesh in torch.serialization.get_safe_globals()  # restored afterwards
    # transformers reads a BERT folder's pytorch_model.bin weights-only, in the same context
    bert = tiny_bert(tmp_path / 'bert')
    mesh = Payload(DeviceMesh, ('cpu', (0,)))
    torch.save(
        {'embeddings.word_embeddings.weight': torch.zeros(16, 8), 'x': mesh},
        bert / 'pytorch_model.bin',
    )
    with pytest.raises(pickle.UnpicklingError, match='Weights only load failed'):
        MODELS.build(dict(type='BertTextEncoder', pretrained=str(bert)))
    # a gallery cache is read weights-only too (a damaged one is recomputed)
    torch.save(dict(format=1, mesh=mesh), tmp_path / 'gallery.pt')
    assert load_video_features(str(tmp_path / 'gallery.pt'), {}) is None
    assert not built
