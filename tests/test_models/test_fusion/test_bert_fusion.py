"""Tests for ``BertFusion``: the text encoder's own upper layers become the fusion encoder; its
speed switches (``vtp.testing.switch_checks.FusionSwitchChecks``)."""

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from transformers import BertConfig, BertModel

from vtp.registry import MODELS
from vtp.testing import TOY_TEXT
from vtp.testing.switch_checks import FusionSwitchChecks

VIDEO_DIMS = 64
BERT = dict(
    hidden_size=32,
    num_hidden_layers=4,
    num_attention_heads=2,
    intermediate_size=64,
    vocab_size=120,
    max_position_embeddings=32,
)


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory) -> Path:
    """A 4-layer BERT saved as a pretrained directory (stands in for bert-base-uncased)."""
    path = tmp_path_factory.mktemp('bert')
    torch.manual_seed(1)
    BertModel(BertConfig(**BERT), add_pooling_layer=False).save_pretrained(path)
    return path


def build(checkpoint: Path, num_layers: int = 1, single_stream: bool = False, **fusion):
    return MODELS.build(
        dict(
            type='VideoTextPretrainer',
            video_encoder=dict(type='VideoSwinEncoder', arch='toy', window_size=(2, 4, 4)),
            text_encoder=dict(type='BertTextEncoder', pretrained=str(checkpoint)),
            fusion=dict(
                type='BertFusion',
                video_dims=VIDEO_DIMS,
                num_layers=num_layers,
                single_stream=single_stream,
                **fusion,
            ),
            heads=dict(itc=dict(type='ITCHead')),
            embed_dim=16,
        )
    ).eval()


def inputs(batch: int = 3, length: int = 6):
    ids = torch.randint(5, 120, (batch, length))
    mask = torch.ones(batch, length, dtype=torch.long)
    mask[0, 4:] = 0
    return ids, mask, torch.randn(batch, 5, VIDEO_DIMS)


@pytest.mark.parametrize('num_layers', [1, 3])
def test_fusion_layers_are_the_checkpoints_upper_layers(checkpoint: Path, num_layers: int):
    model = build(checkpoint, num_layers)
    reference = BertModel.from_pretrained(checkpoint, add_pooling_layer=False).encoder.layer
    keep = 4 - num_layers
    assert len(model.text_encoder.bert.encoder.layer) == keep
    assert len(model.fusion.layers) == num_layers
    for i, layer in enumerate(model.fusion.layers):
        expected = reference[keep + i].state_dict()
        assert layer.state_dict().keys() == expected.keys()
        for key, value in layer.state_dict().items():
            torch.testing.assert_close(value, expected[key], rtol=0, atol=0)
    for i, layer in enumerate(model.text_encoder.bert.encoder.layer):
        for key, value in layer.state_dict().items():
            torch.testing.assert_close(value, reference[i].state_dict()[key], rtol=0, atol=0)


@pytest.mark.parametrize('single_stream', [False, True])
def test_text_only_forward_never_runs_fusion_layers(checkpoint: Path, single_stream: bool):
    model = build(checkpoint, 2, single_stream)
    calls = []
    for layer in model.fusion.layers:
        layer.register_forward_pre_hook(lambda *_: calls.append(1))
        layer.attention.register_forward_pre_hook(lambda *_: calls.append(1))
    ids, mask, video = inputs()
    with torch.no_grad():
        tokens, _ = model.embed_text(ids, mask)
        assert not calls
        # the text path is the checkpoint's lower layers, unchanged
        reference = BertModel.from_pretrained(checkpoint, add_pooling_layer=False).eval()
        reference.encoder.layer = reference.encoder.layer[:2]
        expected = reference(input_ids=ids, attention_mask=mask).last_hidden_state
        torch.testing.assert_close(tokens, expected)
        model.fusion(tokens, mask, video)
    assert calls


@pytest.mark.parametrize('single_stream', [False, True])
def test_fused_tokens_depend_on_the_video_not_on_padding(checkpoint: Path, single_stream: bool):
    model = build(checkpoint, 2, single_stream)
    ids, mask, video = inputs()
    with torch.no_grad():
        text, _ = model.embed_text(ids, mask)
        out = model.fusion(text, mask, video)
        other_video = model.fusion(text, mask, video.roll(1, 0))
        noisy = text.clone()
        noisy[mask == 0] = 10 * torch.randn(int((mask == 0).sum()), 32)
        other_padding = model.fusion(noisy, mask, video)
    assert out.shape == (3, 6, 32)
    assert not torch.allclose(out[:, 0], other_video[:, 0], atol=1e-4)
    torch.testing.assert_close(other_padding[mask.bool()], out[mask.bool()])


def test_new_weights_only_for_what_video_adds(checkpoint: Path):
    cross = build(checkpoint, 2)
    names = {n.split('.')[0] for n, _ in cross.fusion.named_parameters()}
    assert names == {'layers', 'video_proj', 'cross_attention'}
    single = build(checkpoint, 2, single_stream=True)
    assert {n.split('.')[0] for n, _ in single.fusion.named_parameters()} == {
        'layers',
        'video_proj',
        'type_embed',
    }


@pytest.mark.parametrize('num_layers', [0, 4, 5])
def test_the_text_encoder_keeps_at_least_one_layer(checkpoint: Path, num_layers: int):
    with pytest.raises(ValueError, match='keep at least one for text'):
        build(checkpoint, num_layers)


@pytest.mark.parametrize('num_layers', [0, 5])
def test_copies_must_exist(checkpoint: Path, num_layers: int):
    with pytest.raises(ValueError, match=f'cannot copy {num_layers} of its 4 layers to fusion$'):
        build(checkpoint, num_layers, copy_layers=True)


@pytest.mark.parametrize('num_layers', [1, 4])
def test_copied_layers_leave_the_text_encoder_whole(checkpoint: Path, num_layers: int):
    model = build(checkpoint, num_layers, copy_layers=True)
    reference = BertModel.from_pretrained(checkpoint, add_pooling_layer=False).eval()
    ids, mask, video = inputs()
    with torch.no_grad():
        tokens, _ = model.embed_text(ids, mask)
        expected = reference(input_ids=ids, attention_mask=mask).last_hidden_state
    torch.testing.assert_close(tokens, expected)  # every layer still runs for text
    for i, layer in enumerate(model.fusion.layers):
        source = model.text_encoder.bert.encoder.layer[4 - num_layers + i]
        for (key, value), param in zip(layer.state_dict().items(), source.state_dict().values()):
            torch.testing.assert_close(value, param, rtol=0, atol=0, msg=key)
    # copies, not shared modules: training the fusion leaves the text path as it was
    model.fusion(tokens, mask, video)[:, 0].sum().backward()
    assert all(p.grad is None for p in model.text_encoder.parameters())
    assert model.fusion.layers[0].output.dense.weight.grad is not None
    names = [n for n, _ in model.named_parameters()]
    assert len(names) == len(set(names)) == len(list(model.parameters()))


def test_copies_of_frozen_text_layers_train_in_the_fusion(checkpoint: Path):
    model = MODELS.build(
        dict(
            type='BertFusion',
            text_encoder=MODELS.build(
                dict(type='BertTextEncoder', pretrained=str(checkpoint), frozen_layers=4)
            ),
            video_dims=VIDEO_DIMS,
            num_layers=2,
            copy_layers=True,
        )
    )
    assert all(p.requires_grad for p in model.parameters())


class TestBertFusionSwitches(FusionSwitchChecks):
    fusion_cfg = dict(type='BertFusion', video_dims=VIDEO_DIMS, num_layers=2)
    # a toy text encoder of 3 layers: the fusion takes the upper 2
    text_cfg = {**TOY_TEXT, 'config': dict(num_hidden_layers=3)}

    def build_switched(self, **switches):
        torch.manual_seed(0)
        text_encoder = MODELS.build(self.text_cfg)
        return MODELS.build({**self.fusion_cfg, 'text_encoder': text_encoder, **switches})


class TestSingleStreamBertFusionSwitches(TestBertFusionSwitches):
    fusion_cfg = {**TestBertFusionSwitches.fusion_cfg, 'single_stream': True}


def test_fusion_attention_is_chosen_apart_from_the_text_encoders(monkeypatch):
    text_encoder = MODELS.build(
        {**TOY_TEXT, 'config': dict(num_hidden_layers=3), 'fused_attention': False}
    )
    fusion = MODELS.build(
        dict(type='BertFusion', text_encoder=text_encoder, video_dims=VIDEO_DIMS, num_layers=2)
    )
    assert text_encoder.bert.config._attn_implementation == 'eager'
    for layer in fusion.layers:
        assert layer.attention.self.config._attn_implementation == 'sdpa'
    for attention in fusion.cross_attention:
        assert attention.self.config._attn_implementation == 'sdpa'
    calls = []
    sdpa = F.scaled_dot_product_attention
    monkeypatch.setattr(
        F, 'scaled_dot_product_attention', lambda *a, **k: calls.append(1) or sdpa(*a, **k)
    )
    ids, mask, video = inputs()
    tokens, _ = text_encoder(ids, mask)
    assert not calls
    fusion(tokens, mask, video)
    assert len(calls) == 2 * 2  # self- and cross-attention of each fusion layer
