"""Tests for ``vtp.registry``: every registry is a vtp child of an mmengine root, and the
packages named in its ``locations`` import."""

import importlib

import mmengine.registry
import pytest
from mmengine.registry import Registry

import vtp.registry

MMENGINE_ROOTS = {id(obj) for obj in vars(mmengine.registry).values() if isinstance(obj, Registry)}
VTP_REGISTRIES = {
    name: obj
    for name, obj in vars(vtp.registry).items()
    if isinstance(obj, Registry) and id(obj) not in MMENGINE_ROOTS
}


def test_all_registries_are_exported():
    assert VTP_REGISTRIES, 'vtp.registry defines no registry'
    assert set(VTP_REGISTRIES) == set(vtp.registry.__all__)


@pytest.mark.parametrize('name', sorted(VTP_REGISTRIES))
def test_registry_scope_and_parent(name):
    registry = VTP_REGISTRIES[name]
    assert registry.scope == 'vtp'
    parent = registry.parent
    assert parent is not None and id(parent) in MMENGINE_ROOTS
    assert parent.scope == 'mmengine'
    assert parent.parent is None
    assert parent.name == registry.name
    # The child is reachable from the root under its scope, as `default_scope='vtp'` needs.
    assert parent.children['vtp'] is registry


@pytest.mark.parametrize('name', sorted(VTP_REGISTRIES))
def test_registry_locations_import(name):
    locations = VTP_REGISTRIES[name]._locations
    assert locations, f'{name} has no locations'
    for location in locations:
        importlib.import_module(location)


def test_models_registry_finds_vtp_modules_by_name():
    from vtp.registry import MODELS

    for name in (
        'VideoSwinEncoder',
        'BertTextEncoder',
        'BertFusion',
        'CrossAttentionFusion',
        'ConcatFusion',
        'ITCHead',
        'ITMHead',
        'MLMHead',
        'InfoNCELoss',
        'CrossEntropyLoss',
        'VideoTextPretrainer',
        'VideoTextDataPreprocessor',
    ):
        assert MODELS.get(name) is not None, name


def test_hooks_registry_finds_vtp_hooks_by_name():
    from vtp.registry import HOOKS

    for name in ('DataHealthHook', 'FiniteLossHook', 'ProtocolCardHook', 'RNGStateHook'):
        assert HOOKS.get(name) is not None, name
