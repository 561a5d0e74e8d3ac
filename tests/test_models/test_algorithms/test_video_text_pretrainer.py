"""Tests for ``VideoTextPretrainer`` wired with toy encoders, a fusion encoder and all heads."""

import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.structures import BaseDataElement

from vtp.registry import MODELS
from vtp.testing import TOY_TEXT, TOY_TEXT_DIMS, TOY_VIDEO, TOY_VIDEO_DIMS, toy_pretrainer

VOCAB, EMBED, LENGTH = 30522, 16, 8
LOSS_KEYS = {'loss_itc', 'logit_scale', 'loss_itm', 'acc_itm', 'loss_mlm', 'acc_mlm'}


def text_tensors(num_captions: int, gen: torch.Generator) -> dict:
    ids = torch.randint(1000, VOCAB, (num_captions, LENGTH), generator=gen)
    ids[:, 0], ids[:, -3], ids[:, -2:] = 101, 102, 0  # [CLS] ... [SEP] [PAD] [PAD]
    mask = (ids != 0).long()
    labels = torch.full_like(ids, -100)
    labels[:, 2:4] = ids[:, 2:4]
    mlm_ids = ids.clone()
    mlm_ids[:, 2:4] = 103
    return dict(input_ids=ids, attention_mask=mask, mlm_input_ids=mlm_ids, mlm_labels=labels)


def collated_batch(batch: int = 3, captions=None, seed: int = 0) -> dict:
    """What ``pseudo_collate`` makes of packed samples: lists of per-sample tensors."""
    gen = torch.Generator().manual_seed(seed)
    captions = captions or [1] * batch
    samples = []
    for i, count in enumerate(captions):
        video = torch.randint(0, 256, (4, 32, 32, 3), generator=gen, dtype=torch.uint8)
        samples.append(
            dict(
                inputs=dict(video=video, **text_tensors(count, gen)),
                data_samples=BaseDataElement(metainfo=dict(index=i)),
            )
        )
    return pseudo_collate(samples)


def test_loss_keys_and_every_parameter_gets_a_gradient():
    model = MODELS.build(toy_pretrainer())
    model.init_weights()
    data = model.data_preprocessor(collated_batch(3), training=True)
    losses = model(**data, mode='loss')
    assert set(losses) == LOSS_KEYS
    loss, log_vars = model.parse_losses(losses)
    assert set(log_vars) == LOSS_KEYS | {'loss'}
    expected = losses['loss_itc'] + losses['loss_itm'] + losses['loss_mlm']
    torch.testing.assert_close(loss, expected)
    loss.backward()
    unused = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not unused, f'parameters without gradient (DDP would fail): {unused}'


def test_predict_sets_embeddings_per_sample():
    model = MODELS.build(toy_pretrainer(test_cfg=dict(reverse_probe=True))).eval()
    data = model.data_preprocessor(collated_batch(captions=[2, 1, 3]))
    with torch.no_grad():
        samples = model(**data, mode='predict')
    assert len(samples) == 3
    for sample, count in zip(samples, [2, 1, 3]):
        assert sample.video_embed.shape == (EMBED,)
        assert sample.text_embeds.shape == (count, EMBED)
        assert sample.video_embed_reversed.shape == (EMBED,)
        torch.testing.assert_close(sample.video_embed.norm(), torch.tensor(1.0))
        torch.testing.assert_close(sample.text_embeds.norm(dim=-1), torch.ones(count))
        # the reversed clip is a different input (random frames are not palindromic)
        assert not torch.allclose(sample.video_embed_reversed, sample.video_embed)
    # captions are split in order: sample 2's captions are the last three
    _, text_embed = model.embed_text(data['inputs']['input_ids'], data['inputs']['attention_mask'])
    torch.testing.assert_close(samples[2].text_embeds, text_embed[3:].detach())


def test_predict_without_reverse_probe():
    model = MODELS.build(toy_pretrainer()).eval()
    data = model.data_preprocessor(collated_batch(captions=[1, 2]))
    with torch.no_grad():
        samples = model(**data, mode='predict')
    assert all('video_embed_reversed' not in s for s in samples)


def test_tensor_mode_returns_video_and_text_embeddings():
    model = MODELS.build(toy_pretrainer()).eval()
    data = model.data_preprocessor(collated_batch(captions=[2, 1]))
    with torch.no_grad():
        out = model(**data, mode='tensor')
    assert isinstance(out, tuple) and len(out) == 2
    video_embed, text_embed = out
    assert video_embed.shape == (2, EMBED)
    assert text_embed.shape == (3, EMBED)


def test_bad_mode_raises():
    model = MODELS.build(toy_pretrainer())
    data = model.data_preprocessor(collated_batch(2))
    with pytest.raises(RuntimeError, match='invalid mode'):
        model(**data, mode='train')


def test_duplicate_loss_keys_raise():
    model = MODELS.build(
        toy_pretrainer(heads=dict(itc=dict(type='ITCHead'), itc_again=dict(type='ITCHead')))
    )
    data = model.data_preprocessor(collated_batch(2), training=True)
    with pytest.raises(KeyError, match='loss_itc'):
        model(**data, mode='loss')


def test_fusion_width_must_match_text_encoder():
    fusion = dict(
        type='CrossAttentionFusion',
        text_dims=48,
        video_dims=TOY_VIDEO_DIMS,
        num_layers=1,
        num_heads=2,
    )
    with pytest.raises(ValueError, match='48'):
        MODELS.build(toy_pretrainer(fusion=fusion))


def test_heads_needing_fusion_fail_clearly_without_it():
    model = MODELS.build(toy_pretrainer(fusion=None))
    data = model.data_preprocessor(collated_batch(2), training=True)
    with pytest.raises(RuntimeError, match='fusion'):
        model(**data, mode='loss')


def test_modules_can_be_passed_built():
    text_encoder = MODELS.build(TOY_TEXT)
    model = MODELS.build(toy_pretrainer(text_encoder=text_encoder))
    assert model.text_encoder is text_encoder


def test_a_few_steps_reduce_the_loss():
    torch.manual_seed(0)
    model = MODELS.build(
        toy_pretrainer(
            video_encoder=dict(TOY_VIDEO, drop_path_rate=0.0),
            text_encoder=dict(
                TOY_TEXT, config=dict(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
            ),
            fusion=dict(
                type='CrossAttentionFusion',
                text_dims=TOY_TEXT_DIMS,
                video_dims=TOY_VIDEO_DIMS,
                num_layers=1,
                num_heads=2,
                dropout=0.0,
            ),
        )
    )
    model.init_weights()
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    data = model.data_preprocessor(collated_batch(4), training=True)

    def total_loss() -> torch.Tensor:
        torch.manual_seed(1)  # the same ITM negatives' random stream every step
        loss, _ = model.parse_losses(model(**data, mode='loss'))
        return loss

    history = []
    for _ in range(5):
        optimizer.zero_grad()
        loss = total_loss()
        loss.backward()
        optimizer.step()
        history.append(loss.item())
    with torch.no_grad():
        history.append(total_loss().item())
    assert history[-1] < history[0] - 0.5, history


def test_choose_options_by_similarity_and_matching_score():
    """5 options per clip: the choice is the argmax of itc x similarity + itm x matching."""
    test_cfg = dict(task='multiple_choice', option_weights=dict(itc=1.0, itm=0.5))
    model = MODELS.build(toy_pretrainer(test_cfg=test_cfg))
    model.eval()
    data = model.data_preprocessor(collated_batch(2, captions=[5, 5]), training=False)
    with torch.no_grad():
        samples = model(**data, mode='predict')
        _, video_embed = model.embed_video(data['inputs']['video'])
        tokens, text_embed = model.embed_text(
            data['inputs']['input_ids'], data['inputs']['attention_mask']
        )
        video_tokens, _ = model.embed_video(data['inputs']['video'])
        for i, sample in enumerate(samples):
            rows = slice(5 * i, 5 * i + 5)
            expected = text_embed[rows] @ video_embed[i] + 0.5 * model.match_scores(
                tokens[rows],
                data['inputs']['attention_mask'][rows],
                video_tokens[i].expand(5, -1, -1),
            )
            torch.testing.assert_close(sample.option_scores, expected)
            assert sample.pred_label == int(expected.argmax())


def test_qa_task_answers_instead_of_embedding():
    heads = dict(qa=dict(type='AnswerHead', in_dims=TOY_TEXT_DIMS, num_answers=7))
    test_cfg = dict(task='qa', answer_head='qa')
    model = MODELS.build(toy_pretrainer(heads=heads, embed_dim=None, test_cfg=test_cfg))
    assert model.video_proj is None and model.text_proj is None
    model.eval()
    data = model.data_preprocessor(collated_batch(3), training=False)
    with torch.no_grad():
        samples = model(**data, mode='predict')
    assert [0 <= s.pred_label < 7 for s in samples] == [True] * 3
    assert 'video_embed' not in samples[0]


def test_retrieval_without_joint_space_names_embed_dim():
    heads = dict(qa=dict(type='AnswerHead', in_dims=TOY_TEXT_DIMS, num_answers=7))
    model = MODELS.build(toy_pretrainer(heads=heads, embed_dim=None)).eval()
    data = model.data_preprocessor(collated_batch(2), training=False)
    with torch.no_grad(), pytest.raises(ValueError, match=r"task='retrieval' .* model.embed_dim"):
        model(**data, mode='predict')


@pytest.mark.parametrize('mode', ['loss', 'predict'])
def test_loss_and_predict_need_the_data_samples(mode):
    model = MODELS.build(toy_pretrainer())
    with pytest.raises(ValueError, match=f"mode='{mode}' needs the data_samples"):
        model(inputs={}, mode=mode)


@pytest.mark.parametrize(
    'test_cfg,match',
    [
        (dict(task='captioning'), r"task must be one of 'retrieval', 'qa', 'multiple_choice'"),
        (dict(task='qa', answer_head='answers'), r"answer_head='answers' .* heads: itc, itm, mlm"),
        (dict(rerank_topk=8, rerank_head='match'), r"rerank_head='match' .* heads: itc, itm, mlm"),
    ],
)
def test_test_cfg_is_validated_at_construction(test_cfg, match):
    """The settings themselves (``PredictSettings``) and the heads they name."""
    with pytest.raises(ValueError, match=match):
        MODELS.build(toy_pretrainer(test_cfg=test_cfg))


def test_retrieval_is_the_default_task():
    model = MODELS.build(toy_pretrainer())
    assert model.test_cfg.task == 'retrieval' and model.test_cfg.rerank_topk == 0
    model.eval()
    data = model.data_preprocessor(collated_batch(2, captions=[1, 3]), training=False)
    with torch.no_grad():
        samples = model(**data, mode='predict')
    assert [tuple(s.text_embeds.shape) for s in samples] == [(1, EMBED), (3, EMBED)]
    assert 'pred_label' not in samples[0]


def test_paused_heads_are_left_out_of_the_loss_and_get_no_gradient():
    model = MODELS.build(toy_pretrainer())
    model.init_weights()
    data = model.data_preprocessor(collated_batch(3), training=True)
    model.pause_heads(['itm', 'mlm'])
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_itc', 'logit_scale'}
    model.parse_losses(losses)[0].backward()
    graded = {
        n.split('.')[1]
        for n, p in model.heads.named_parameters(prefix='heads')
        if p.grad is not None
    }
    assert graded == {'itc'}
    model.pause_heads(())
    assert set(model(**data, mode='loss')) == LOSS_KEYS


@pytest.mark.parametrize(
    'names, error, match',
    [
        (['itx'], KeyError, "cannot pause \\['itx'\\]"),
        (['itc', 'itm', 'mlm'], ValueError, 'every head'),
    ],
)
def test_pausing_unknown_or_every_head_raises(names, error, match):
    model = MODELS.build(toy_pretrainer())
    with pytest.raises(error, match=match):
        model.pause_heads(names)
    assert model.paused_heads == frozenset()


@pytest.mark.parametrize('scale', [0.0, 0.25])
def test_fusion_grad_scale_scales_what_fused_heads_send_into_the_encoders(scale):
    """Same losses; the fusion and its heads get the same gradients; the encoders get the
    fused heads' gradients times ``scale`` (none at 0)."""
    grads, losses = [], []
    for fusion_grad_scale in (1.0, scale):
        torch.manual_seed(0)
        model = MODELS.build(toy_pretrainer(fusion_grad_scale=fusion_grad_scale))
        model.init_weights()
        model.pause_heads(['itc'])  # every loss goes through the fusion
        data = model.data_preprocessor(collated_batch(3), training=True)
        torch.manual_seed(1)
        terms = model(**data, mode='loss')
        model.parse_losses(terms)[0].backward()
        grads.append({n: p.grad for n, p in model.named_parameters()})
        losses.append(terms['loss_itm'] + terms['loss_mlm'])
    torch.testing.assert_close(losses[1], losses[0])
    full, scaled = grads
    encoders = [n for n in full if n.startswith(('video_encoder.', 'text_encoder.'))]
    assert encoders and any(full[n] is not None for n in encoders)
    for name, grad in full.items():
        if grad is None or name.startswith('text_encoder.bert.embeddings.word_embeddings'):
            continue  # the MLM head's tied decoder reaches the word embeddings directly
        if name in encoders and scale == 0.0:
            assert scaled[name] is None or not scaled[name].any(), name
        elif name in encoders:
            torch.testing.assert_close(scaled[name], grad * scale, msg=name)
        else:
            torch.testing.assert_close(scaled[name], grad, msg=name)


@pytest.mark.parametrize('scale, builds_graph', [(0.0, False), (0.25, True)])
def test_masked_text_is_encoded_without_autograd_when_nothing_flows_back(scale, builds_graph):
    model = MODELS.build(toy_pretrainer(fusion_grad_scale=scale))
    data = model.data_preprocessor(collated_batch(2), training=True)
    feats = model.extract_feat(data['inputs'])
    tokens, _ = feats.encode_text(data['inputs']['mlm_input_ids'], feats.text_mask)
    assert tokens.requires_grad is builds_graph
    assert feats.text_tokens.requires_grad  # the contrastive path keeps its gradients


def test_fusion_grad_scale_outside_zero_to_one_raises():
    with pytest.raises(ValueError, match='fusion_grad_scale must lie in \\[0, 1\\], got 2'):
        MODELS.build(toy_pretrainer(fusion_grad_scale=2.0))


def test_masked_captions_are_not_kept_by_the_text_encoder_cache():
    text = dict(TOY_TEXT, frozen_layers=1, frozen_cache_mb=1)
    model = MODELS.build(toy_pretrainer(text_encoder=text))
    data = model.data_preprocessor(collated_batch(3), training=True)
    losses = model(**data, mode='loss')
    assert 'loss_mlm' in losses
    assert len(model.text_encoder.frozen_cache) == 3  # the 3 captions, not their masked forms


def test_a_training_batch_with_several_captions_for_a_clip_is_refused_naming_the_fix():
    """It crashed inside torch's cross entropy ("multi-target not supported")."""
    model = MODELS.build(toy_pretrainer())
    data = model.data_preprocessor(collated_batch(3, captions=[2, 1, 1]), training=True)
    with pytest.raises(
        ValueError,
        match=r'ITCHead pairs one text with each clip, got 4 texts for 3 clips: .*sample_one',
    ):
        model(**data, mode='loss')
