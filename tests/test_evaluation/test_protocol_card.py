"""The protocol card reads frames, sampling, crop, splits, re-ranking and DSL from a config, and
the table in docs/user_guides/3_train_test.md is exactly what tools/analysis/protocol_cards.py
prints."""

import importlib.util

from mmengine.config import Config

from vtp.evaluation.protocol_card import format_card, protocol_card
from vtp.testing import repo_root

ROOT = repo_root()


def load_tool():
    spec = importlib.util.spec_from_file_location(
        'protocol_cards', ROOT / 'tools/analysis/protocol_cards.py'
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_card_of_a_retrieval_config():
    card = protocol_card(Config.fromfile(str(ROOT / 'configs/retrieval/msrvtt_7k.py')))
    assert card == {
        'task': 'retrieval',
        'train frames': '4 (random in segments) at 224 px',
        'test frames': '4 (segment centres) at 224 px',
        'train split': 'MSRVTT_data.json MSRVTT_train.7k.csv',
        'test split': 'MSRVTT_data.json MSRVTT_JSFUSION_test.csv',
        're-ranking': 'top 128',
        'DSL': 'beside, inverse temperature 100',
    }
    assert format_card(card).startswith('protocol: task retrieval | train frames 4 (random')


def test_card_follows_overrides_and_mixed_corpora():
    cfg = Config.fromfile(str(ROOT / 'configs/pretrain/cc3m_webvid2m.py'))
    card = protocol_card(cfg)
    assert card['train frames'] == ('4 (still image) at 224 px + 4 (random in segments) at 224 px')
    assert card['train split'] == 'Train_GCC-training.tsv + results_2M_train.csv'
    cfg.merge_from_dict({'model.test_cfg.rerank_topk': 16})
    assert protocol_card(cfg)['re-ranking'] == 'top 16'


def test_docs_table_is_the_tools_output():
    guide = ROOT / 'docs/user_guides/3_train_test.md'
    assert load_tool().markdown_table() in guide.read_text()
