"""Tests for ``VideoSwinEncoder``: shapes, images as static clips, safe checkpoint loading
(mmaction2 recognizer, safetensors, inflated 2D Swin), a quiet ``init_weights`` and the speed
switches (fused attention, checkpointing, compile)."""

import pickle
import warnings

import pytest
import torch
from mmaction.models.backbones.swin import WindowAttention3D
from torch._dynamo.testing import CompileCounter

from vtp.models.layers import FusedWindowAttention3D
from vtp.registry import MODELS
from vtp.testing import TOY_VIDEO, TOY_VIDEO_DIMS, logged_lines
from vtp.testing.switch_checks import (
    FP32_TOLERANCE,
    assert_bf16_outputs_and_grads_close,
    assert_same_outputs_and_grads,
)


def build_encoder(**kwargs):
    return MODELS.build({**TOY_VIDEO, **kwargs}).eval()


def clips(batch: int = 2, frames: int = 4, size: int = 32) -> torch.Tensor:
    return torch.randn(batch, 3, frames, size, size)


def test_clip_output_shapes():
    encoder = build_encoder()
    assert encoder.embed_dims == TOY_VIDEO_DIMS
    with torch.no_grad():
        tokens, pooled = encoder(clips(batch=2))
    # patch (2, 4, 4) then one 2x spatial merge: 4/2 * 32/8 * 32/8 tokens
    assert tokens.shape == (2, 2 * 4 * 4, TOY_VIDEO_DIMS)
    assert pooled.shape == (2, TOY_VIDEO_DIMS)
    torch.testing.assert_close(pooled, tokens.mean(1))


def test_image_is_a_static_clip():
    encoder = build_encoder()
    images = torch.randn(2, 3, 32, 32)
    static = images.unsqueeze(2).repeat(1, 1, encoder.temporal_patch, 1, 1)
    with torch.no_grad():
        img_tokens, img_pooled = encoder(images)
        clip_tokens, clip_pooled = encoder(static)
    assert img_tokens.shape == (2, 4 * 4, TOY_VIDEO_DIMS)
    torch.testing.assert_close(img_tokens, clip_tokens)
    torch.testing.assert_close(img_pooled, clip_pooled)


def test_recognizer_checkpoint_reproduces_source(tmp_path):
    source = build_encoder()
    with torch.no_grad():  # make the source clearly different from a fresh random init
        for p in source.parameters():
            p.add_(0.05 * torch.randn_like(p))
    state = {f'backbone.{k}': v for k, v in source.backbone.state_dict().items()}
    state['cls_head.fc_cls.weight'] = torch.randn(5, TOY_VIDEO_DIMS)
    state['cls_head.fc_cls.bias'] = torch.randn(5)
    path = tmp_path / 'recognizer.pth'
    torch.save({'state_dict': state, 'meta': {'epoch': 3, 'mmaction_version': '1.1.0'}}, path)

    target = build_encoder(pretrained=str(path))
    target.init_weights()
    target.eval()
    x = clips()
    with torch.no_grad():
        expected = source(x)
        actual = target(x)
    torch.testing.assert_close(actual[0], expected[0], rtol=0, atol=0)
    torch.testing.assert_close(actual[1], expected[1], rtol=0, atol=0)


def test_safetensors_backbone_checkpoint(tmp_path):
    from safetensors.torch import save_file

    source = build_encoder()
    path = tmp_path / 'backbone.safetensors'
    save_file({k: v.contiguous() for k, v in source.backbone.state_dict().items()}, str(path))

    target = build_encoder()
    target.load_pretrained(str(path))
    for key, value in source.backbone.state_dict().items():
        torch.testing.assert_close(
            target.backbone.state_dict()[key], value, rtol=0, atol=0, msg=key
        )
    x = clips(batch=1)
    with torch.no_grad():
        torch.testing.assert_close(target(x)[1], source(x)[1], rtol=0, atol=0)


def to_2d_swin(state3d: dict, last_stage: int) -> dict:
    """A 2D Swin state dict with the same weights: one frame of the patch kernel, the t=0 slice
    of each relative-position table, and a final ``norm`` instead of the last stage norm."""
    state = {}
    for key, value in state3d.items():
        if 'relative_position_index' in key:
            continue
        if key == 'patch_embed.proj.weight':
            value = value[:, :, 0]
        elif key.endswith('relative_position_bias_table'):
            value = value[:49]  # (2*4-1)^2 rows of a 4x4 window
        elif key.startswith(f'norm{last_stage}.'):
            key = 'norm.' + key.split('.', 1)[1]
        state[key] = value.clone()
    state['head.weight'] = torch.randn(10, TOY_VIDEO_DIMS)
    return state


def test_2d_swin_checkpoint_is_inflated(tmp_path):
    source = build_encoder()
    last = len(source.backbone.depths) - 1
    state2d = to_2d_swin(source.backbone.state_dict(), last)
    with torch.no_grad():  # make the 2D final norm distinguishable from a fresh LayerNorm
        state2d['norm.weight'].uniform_(0.5, 1.5)
        state2d['norm.bias'].uniform_(-0.5, 0.5)
    path = tmp_path / 'swin2d.pth'
    torch.save({'model': state2d}, path)

    target = build_encoder()
    target.load_pretrained(str(path))
    loaded = target.backbone.state_dict()
    t = target.temporal_patch
    expected_patch = state2d['patch_embed.proj.weight'].unsqueeze(2).repeat(1, 1, t, 1, 1) / t
    torch.testing.assert_close(loaded['patch_embed.proj.weight'], expected_patch)
    torch.testing.assert_close(loaded[f'norm{last}.weight'], state2d['norm.weight'])
    torch.testing.assert_close(loaded[f'norm{last}.bias'], state2d['norm.bias'])
    table_key = 'layers.0.blocks.0.attn.relative_position_bias_table'
    wt = target.backbone.window_size[0]
    torch.testing.assert_close(loaded[table_key], state2d[table_key].repeat(2 * wt - 1, 1))
    torch.testing.assert_close(
        loaded['layers.1.blocks.0.mlp.fc1.weight'], state2d['layers.1.blocks.0.mlp.fc1.weight']
    )


def test_2d_relative_position_table_of_another_window_is_resized(tmp_path):
    source = build_encoder()
    table_key = 'layers.0.blocks.0.attn.relative_position_bias_table'
    state2d = to_2d_swin(source.backbone.state_dict(), len(source.backbone.depths) - 1)
    state2d[table_key] = torch.randn(13 * 13, 2)  # a 7x7-window table
    path = tmp_path / 'swin2d_w7.pth'
    torch.save(state2d, path)

    target = build_encoder()
    before = target.backbone.state_dict()[table_key].clone()
    target.load_pretrained(str(path))
    table = target.backbone.state_dict()[table_key]
    assert table.shape == (3 * 49, 2)
    assert not torch.equal(table, before)
    # identical over the 2Wt-1 temporal offsets
    torch.testing.assert_close(table[:49], table[49:98])
    torch.testing.assert_close(table[:49], table[98:])


UNPICKLED = []


def _record_unpickling():
    UNPICKLED.append(True)
    return 'payload'


class Payload:
    """Runs ``_record_unpickling`` when unpickled: what a malicious checkpoint would do."""

    def __reduce__(self):
        return (_record_unpickling, ())


def test_checkpoint_with_pickled_object_loads_tensors_without_running_it(tmp_path):
    """A checkpoint with a code-running object: its tensors load, the object never runs."""
    source = build_encoder()
    path = tmp_path / 'unsafe.pth'
    torch.save({'state_dict': source.backbone.state_dict(), 'extra': Payload()}, path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)
    target = build_encoder(pretrained=str(path))
    target.load_pretrained(str(path))
    assert not UNPICKLED
    for key, value in source.backbone.state_dict().items():
        assert torch.equal(target.backbone.state_dict()[key], value), key


def test_checkpoint_matching_nothing_raises(tmp_path):
    path = tmp_path / 'other.pth'
    torch.save({'state_dict': {'head.fc.weight': torch.zeros(2, 2)}}, path)
    with pytest.raises(ValueError, match='no tensor'):
        build_encoder().load_pretrained(str(path))


def test_vtp_model_checkpoint_loads_its_video_encoder(tmp_path):
    source = build_encoder()
    path = tmp_path / 'vtp.pth'
    torch.save(
        {
            'state_dict': {
                f'video_encoder.backbone.{k}': v for k, v in source.backbone.state_dict().items()
            }
        },
        path,
    )
    target = build_encoder(pretrained=str(path))
    target.load_pretrained(str(path))
    for key, value in source.backbone.state_dict().items():
        assert torch.equal(target.backbone.state_dict()[key], value), key


def test_missing_checkpoint_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        build_encoder().load_pretrained(str(tmp_path / 'nothing.pth'))


def test_init_weights_logs_a_summary_not_every_parameter():
    encoder = MODELS.build(TOY_VIDEO)
    with logged_lines() as lines:
        encoder.init_weights()
    assert lines, 'nothing was captured: the check would be vacuous'
    assert len(lines) < 5, lines
    assert any('VideoSwinEncoder' in line for line in lines)


def test_recognizer_checkpoint_by_url_is_downloaded_once(tmp_path, monkeypatch):
    """The paper-scale configs name mmaction2's Kinetics checkpoint by URL: it is fetched into
    torch's cache once (here by a stand-in that writes a recognizer checkpoint of the published
    key layout) and then read from there."""
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    source = build_encoder()
    with torch.no_grad():
        for p in source.parameters():
            p.add_(0.05 * torch.randn_like(p))
    downloads = []

    def download(url, dst, progress=True):
        downloads.append(url)
        torch.save(
            {'state_dict': {f'backbone.{k}': v for k, v in source.backbone.state_dict().items()}},
            dst,
        )

    monkeypatch.setattr(torch.hub, 'download_url_to_file', download)
    url = 'https://download.openmmlab.com/mmaction/v1.0/recognition/swin/swin_k400.pth'
    for _ in range(2):
        target = build_encoder(pretrained=url)
        target.init_weights()
        for key, value in source.backbone.state_dict().items():
            torch.testing.assert_close(target.backbone.state_dict()[key], value, rtol=0, atol=0)
    assert downloads == [url]


# Two blocks per stage, so each stage runs a shifted-window block. A (2, 3, 6, 40, 40) clip gives
# 3 x 10 x 10 patches, padded to 4 x 12 x 12 for the 2 x 4 x 4 windows (18 windows per clip),
# then 3 x 5 x 5 padded to 4 x 8 x 8: both stages pad and pass a shifted-window mask.
SHIFTED = {**TOY_VIDEO, 'arch': dict(embed_dims=32, depths=[2, 2], num_heads=[2, 2])}


def shifted_clips() -> torch.Tensor:
    return torch.randn(2, 3, 6, 40, 40)


def build_pair(**kwargs):
    """An encoder without ``kwargs`` and one with them, with the same weights."""
    reference = MODELS.build({**SHIFTED, 'drop_path_rate': 0.0})
    candidate = MODELS.build({**SHIFTED, 'drop_path_rate': 0.0, **kwargs})
    candidate.load_state_dict(reference.state_dict())
    return reference, candidate


def window_attentions(encoder):
    return [block.attn for stage in encoder.backbone.layers for block in stage.blocks]


def test_fused_attention_is_the_default_and_replaces_every_window_attention():
    assert all(type(a) is FusedWindowAttention3D for a in window_attentions(MODELS.build(SHIFTED)))
    eager = MODELS.build({**SHIFTED, 'fused_attention': False})
    assert all(type(a) is WindowAttention3D for a in window_attentions(eager))


def test_fused_and_eager_checkpoints_load_into_each_other():
    eager = MODELS.build({**SHIFTED, 'fused_attention': False})
    fused = MODELS.build(SHIFTED)
    assert eager.state_dict().keys() == fused.state_dict().keys()
    fused.load_state_dict(eager.state_dict())  # strict
    for key, value in eager.state_dict().items():
        assert torch.equal(fused.state_dict()[key], value), key
    other = MODELS.build({**SHIFTED, 'fused_attention': False})
    other.load_state_dict(fused.state_dict())  # strict


def test_the_shifted_clip_pads_and_masks_in_every_stage():
    encoder = MODELS.build(SHIFTED)
    masks = []
    for attn in window_attentions(encoder):
        attn.register_forward_pre_hook(
            lambda _, args, kwargs: masks.append(kwargs['mask']), with_kwargs=True
        )
    with torch.no_grad():
        encoder(shifted_clips())
    # blocks 1 of each stage are shifted: (nW, N, N) masks of 18 and then 8 windows of 32
    assert [m is None for m in masks] == [True, False, True, False]
    assert masks[1].shape == (18, 32, 32) and masks[3].shape == (8, 32, 32)
    assert (masks[1] != 0).any() and (masks[3] != 0).any()


def test_fused_attention_hands_sdpa_a_mask_that_cuda_kernels_take(monkeypatch):
    """CUDA's fused kernels refuse an ``attn_mask`` whose last dimension is strided (the
    permuted bias table) and fall back to the math path, which materialises every window's
    attention; a CPU takes any strides, so the layout is checked here."""
    masks = []
    sdpa = torch.nn.functional.scaled_dot_product_attention

    def recording_sdpa(*args, attn_mask=None, **kwargs):
        masks.append(attn_mask)
        return sdpa(*args, attn_mask=attn_mask, **kwargs)

    monkeypatch.setattr(torch.nn.functional, 'scaled_dot_product_attention', recording_sdpa)
    with torch.no_grad():
        MODELS.build(SHIFTED)(shifted_clips())
    assert len(masks) == 4  # 2 blocks in each of 2 stages, 2 of them shifted
    assert all(mask.stride(-1) == 1 for mask in masks), [mask.stride() for mask in masks]


def test_fused_attention_matches_eager_in_fp32(device):
    eager, fused = (m.to(device).train() for m in build_pair())
    assert_same_outputs_and_grads(
        eager, fused, (shifted_clips().to(device),), **FP32_TOLERANCE[device]
    )


def test_fused_attention_matches_eager_under_bf16_autocast(device):
    eager, fused = (m.to(device).train() for m in build_pair())
    assert_bf16_outputs_and_grads_close(
        eager, fused, (shifted_clips().to(device),), rtol_outputs=2e-2, rtol_grads=1e-1
    )


@pytest.mark.parametrize('autocast', [False, True])
def test_fused_attention_at_the_swin_b_window(device, autocast):
    """Swin-B's (8, 7, 7) windows: 392 tokens, a length no fused kernel tiles evenly."""
    window, heads, dims, num_windows = (8, 7, 7), 2, 32, 3
    eager = WindowAttention3D(dims, window, heads)
    torch.nn.init.normal_(eager.relative_position_bias_table, std=0.5)
    fused = FusedWindowAttention3D.from_window_attention(eager)
    length = 8 * 7 * 7
    mask = torch.zeros(num_windows, length, length)
    mask[1:, : length // 2, length // 2 :] = -100.0  # shifted windows: halves kept apart
    mask[1:, length // 2 :, : length // 2] = -100.0
    x = torch.randn(2 * num_windows, length, dims)
    eager, fused = eager.to(device), fused.to(device)
    inputs = (x.to(device), mask.to(device))
    if autocast:
        assert_bf16_outputs_and_grads_close(
            eager, fused, inputs, rtol_outputs=2e-2, rtol_grads=1e-1
        )
    else:
        assert_same_outputs_and_grads(eager, fused, inputs, **FP32_TOLERANCE[device])


def test_checkpointing_recomputes_each_block_and_keeps_loss_and_gradients():
    reference = MODELS.build({**SHIFTED, 'drop_path_rate': 0.3})  # replayed random drops
    candidate = MODELS.build({**SHIFTED, 'drop_path_rate': 0.3, 'checkpointing': True})
    candidate.load_state_dict(reference.state_dict())
    calls = []
    for stage in candidate.backbone.layers:
        for block in stage.blocks:
            block.mlp.register_forward_pre_hook(lambda *_: calls.append(1))
    assert_same_outputs_and_grads(
        reference.train(), candidate.train(), (shifted_clips(),), atol=1e-6, rtol=1e-5
    )
    assert len(calls) == 2 * 4  # each of the 4 blocks: once in forward, once in backward


def test_compile_compiles_the_forward_without_filling_the_log():
    counter = CompileCounter()
    reference, compiled = build_pair(compile=dict(backend=counter))
    assert compiled.state_dict().keys() == reference.state_dict().keys()
    x = shifted_clips()
    with warnings.catch_warnings(record=True) as caught, torch.no_grad():
        expected, actual = reference.eval()(x), compiled.eval()(x)
    assert counter.frame_count > 0
    # mmaction2's cached shift-mask function is traced as a plain function: it is pure
    assert not [w for w in caught if 'lru_cache' in str(w.message)]
    torch.testing.assert_close(actual, expected)
