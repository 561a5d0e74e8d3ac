"""The key of extracted or cached gallery features: what they were computed from, hashed, and
the comparison that decides whether a model may reuse them.

A key has ``model`` (the model config as the features depend on it, see
:func:`features_config`, and the test pipeline), ``weights`` (every tensor of the model's
state) and ``files`` (each video's identity). Keys written before ``model`` existed hold
``config`` instead, a hash of the whole model config; every key keeps ``config``, and a stored
key without ``model`` is compared by it, so features extracted then are still accepted by the
same config.
"""

import hashlib
from typing import Any, Dict, List, Sequence, Tuple

from vtp.registry import MODELS

SPEED_SWITCHES = frozenset({'fused_attention', 'checkpointing', 'frozen_cache_mb'})
"""Arguments of vtp's own modules that change how fast features are computed, not what they are
(up to float rounding): left out of the ``model`` hash, so turning them on or off keeps the
features valid."""

PARTS: Tuple[Tuple[str, str], ...] = (
    ('model', 'config'),
    ('weights', 'checkpoint'),
    ('files', 'list of files'),
)
"""The parts of a key and how messages name them."""


def _is_vtp_module(node: Dict[str, Any]) -> bool:
    """Whether the config dict ``node`` builds a class defined in vtp: its ``type`` names one
    (not a class mmengine cannot find) and no ``_scope_`` sends it to another registry."""
    type_ = node.get('type')
    if node.get('_scope_', 'vtp') != 'vtp':
        return False
    try:
        cls = MODELS.get(type_) if isinstance(type_, str) else type_
    except Exception:  # mmengine raises for names it cannot parse (''); not vtp's either way
        return False
    return isinstance(cls, type) and cls.__module__.split('.')[0] == 'vtp'


def _without_switches(node: Any) -> Any:
    """``node`` with :data:`SPEED_SWITCHES` dropped from the config dicts of vtp's modules;
    a dict of another module is kept whole, arguments and all (vtp cannot know what they
    change, nor what the module does with a dict given to it)."""
    if isinstance(node, dict):
        if 'type' in node and not _is_vtp_module(node):
            return node
        return {
            k: _without_switches(v)
            for k, v in node.items()
            if not ('type' in node and k in SPEED_SWITCHES)
        }
    if isinstance(node, list):
        return [_without_switches(v) for v in node]
    if isinstance(node, tuple):  # a namedtuple too, as a plain tuple
        return tuple(_without_switches(v) for v in node)
    return node


def features_config(model_cfg: Dict[str, Any]) -> Dict[str, Any]:
    """The model config as gallery features depend on it: without ``test_cfg`` (what
    ``predict`` does, not how clips are embedded) when the model is vtp's (a plugin model may
    read anything from it) and without the speed switches of vtp's modules."""
    model = dict(model_cfg)
    if _is_vtp_module(model):
        model.pop('test_cfg', None)
    reduced: Dict[str, Any] = _without_switches(model)
    return reduced


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def config_hashes(model_cfg: Dict[str, Any], pipelines: Sequence[Any]) -> Dict[str, str]:
    """The ``model`` and ``config`` parts of a key (see the module's docstring)."""
    return dict(
        model=_sha256(repr((features_config(model_cfg), *pipelines))),
        config=_sha256(repr((model_cfg, *pipelines))),
    )


def differing_parts(
    stored: Dict[str, Any], wanted: Dict[str, Any], parts: Sequence[str]
) -> List[str]:
    """How messages name the ``parts`` of ``stored`` that differ from ``wanted``'s, in
    :data:`PARTS` order; ``'model'`` is compared by ``config`` when ``stored`` predates it."""
    labels = []
    for part, label in PARTS:
        if part not in parts:
            continue
        compared = 'config' if part == 'model' and 'model' not in stored else part
        if stored.get(compared) != wanted.get(compared):
            labels.append(label)
    return labels
