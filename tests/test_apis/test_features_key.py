"""The key of gallery features: ``test_cfg`` (at the top of a vtp model's config) and the speed
switches of vtp's own modules leave the ``model`` part unchanged; a plugin's arguments (a
plugin model's ``test_cfg``, a vtp module it builds itself, another registry's module) and
everything else change it; a key written before the ``model`` part is compared by its
``config`` hash."""

from collections import namedtuple

import pytest
from torch import nn

from vtp.apis.features_key import config_hashes, differing_parts, features_config
from vtp.registry import MODELS

PIPELINES = ([dict(type='DecordInit')], [dict(type='TokenizeText')])


class PluginEncoder(nn.Module):
    """A module registered from outside vtp: vtp cannot know what its arguments change."""


def model_cfg(**changes):
    cfg = dict(
        type='VideoTextPretrainer',
        video_encoder=dict(type='VideoSwinEncoder', arch='tiny', fused_attention=True),
        text_encoder=dict(
            type='BertTextEncoder', pretrained='bert', checkpointing=False, frozen_cache_mb=0
        ),
        fusion=dict(type='BertFusion', num_layers=2, fused_attention=True),
        embed_dim=256,
        test_cfg=dict(task='retrieval', rerank_topk=16),
    )
    for path, value in changes.items():
        *parents, leaf = path.split('__')
        node = cfg
        for name in parents:
            node = node[name]
        node[leaf] = value
    return cfg


@pytest.mark.parametrize(
    'change',
    [
        dict(test_cfg__rerank_topk=0),
        dict(test_cfg=dict(task='retrieval', reverse_probe=True)),
        dict(video_encoder__fused_attention=False),
        dict(text_encoder__checkpointing=True),
        dict(text_encoder__frozen_cache_mb=64),
        dict(fusion__fused_attention=False),
    ],
)
def test_test_settings_and_speed_switches_keep_the_model_part(change):
    base, other = (
        config_hashes(model_cfg(), PIPELINES),
        config_hashes(model_cfg(**change), PIPELINES),
    )
    assert other['model'] == base['model']
    assert other['config'] != base['config']  # the whole config, as keys before `model`


@pytest.mark.parametrize(
    'change',
    [
        dict(embed_dim=128),
        dict(text_encoder__pretrained='other'),
        dict(video_encoder__arch='small'),
        dict(fusion__num_layers=3),
    ],
)
def test_what_changes_features_changes_the_model_part(change):
    base, other = (
        config_hashes(model_cfg(), PIPELINES),
        config_hashes(model_cfg(**change), PIPELINES),
    )
    assert other['model'] != base['model']
    assert config_hashes(model_cfg(), ([], PIPELINES[1]))['model'] != base['model']  # pipeline


def test_only_the_top_test_cfg_and_only_vtp_modules_lose_keys():
    MODELS.register_module(module=PluginEncoder, force=True)
    cfg = model_cfg(
        video_encoder=dict(type='PluginEncoder', fused_attention=True, test_cfg=dict(k=1)),
        text_encoder__inner=dict(type='BertTextEncoder', fused_attention=True, test_cfg=1),
    )
    reduced = features_config(cfg)
    assert 'test_cfg' not in reduced
    assert reduced['video_encoder'] == cfg['video_encoder']  # a plugin keeps every argument
    assert reduced['text_encoder']['inner'] == dict(type='BertTextEncoder', test_cfg=1)
    assert 'frozen_cache_mb' not in reduced['text_encoder']
    assert cfg['test_cfg'] == dict(task='retrieval', rerank_topk=16)  # the input is untouched
    for unknown in ('', 'NoSuchModule', 'no_scope.Module', None):
        node = dict(type=unknown, fused_attention=True)
        assert features_config(dict(fusion=node))['fusion'] == node


class PluginPretrainer(nn.Module):
    """A plugin model: it may read its own keys from ``test_cfg`` while embedding clips."""


def test_a_plugin_keeps_everything_it_is_given():
    MODELS.register_module(module=PluginPretrainer, force=True)
    MODELS.register_module(module=PluginEncoder, force=True)
    Pair = namedtuple('Pair', 'a b')
    cfg = model_cfg(type='PluginPretrainer', frames=Pair(4, 8))
    assert features_config(cfg) == dict(cfg, frames=(4, 8))  # test_cfg and switches kept
    assert (
        config_hashes(cfg, PIPELINES)['model']
        != config_hashes(model_cfg(type='PluginPretrainer', test_cfg=dict(num_clips=4)), PIPELINES)[
            'model'
        ]
    )
    inner = dict(type='VideoSwinEncoder', fused_attention=False)  # built by the plugin
    wrapper = dict(type='PluginEncoder', inner=inner)
    assert features_config(dict(video_encoder=wrapper))['video_encoder'] == wrapper
    other_scope = dict(type='VideoSwinEncoder', _scope_='myplugin', checkpointing=True)
    assert features_config(dict(video_encoder=other_scope))['video_encoder'] == other_scope


def test_keys_are_compared_by_model_and_old_keys_by_config():
    new = dict(model='m', config='c', weights='w', files='f')
    parts = ('model', 'weights', 'files')
    assert differing_parts(new, dict(new, config='other'), parts) == []  # rerank_topk changed
    assert differing_parts(new, dict(new, model='x', files='y'), parts) == [
        'config',
        'list of files',
    ]
    old = dict(config='c', weights='w', files='f')  # written before the model part
    assert differing_parts(old, new, parts) == []
    assert differing_parts(old, dict(new, config='other'), parts) == ['config']
    assert differing_parts(old, dict(new, weights='v'), ('model', 'weights')) == ['checkpoint']
    assert differing_parts(new, dict(new, files='y'), ('model', 'weights')) == []
