"""Tests for ``ITMHead``: matching on the fused [CLS] token with mined hard negatives."""

import pytest
import torch
import torch.nn.functional as F

from vtp.registry import MODELS
from vtp.testing import FEATURES_EMBED_DIMS, TOY_TEXT_DIMS, make_features, random_ids


def test_loss_keys_and_gradients():
    head = MODELS.build(dict(type='ITMHead', in_dims=TOY_TEXT_DIMS))
    feats = make_features(random_ids())
    out = head.loss(feats, [])
    assert set(out) == {'loss_itm', 'acc_itm'}
    assert 0.0 <= out['acc_itm'].item() <= 100.0
    assert not out['acc_itm'].requires_grad
    out['loss_itm'].backward()
    assert head.classifier.weight.grad is not None
    assert feats.video_tokens.grad is not None
    assert torch.count_nonzero(feats.video_tokens.grad) > 0


def test_negatives_skip_own_and_identical_texts():
    # rows 0/1 and 3/4 carry the same text and the same embeddings: an unmasked hard-negative
    # sampler would pick the duplicate almost always.
    ids = random_ids(batch=6)
    ids[1] = ids[0]
    ids[4] = ids[3]
    base = F.normalize(torch.randn(6, FEATURES_EMBED_DIMS), dim=-1)
    base[1], base[4] = base[0], base[3]
    feats = make_features(ids, text_embed=base, video_embed=base.clone())
    same = (ids[:, None] == ids[None]).all(-1)  # (6, 6), includes the diagonal
    rows = torch.arange(6)
    for temperature, draws in ((0.07, 200), (10.0, 100)):
        head = MODELS.build(
            dict(type='ITMHead', in_dims=TOY_TEXT_DIMS, negative_temperature=temperature)
        )
        drawn = torch.zeros(6, 6, dtype=torch.bool)
        for _ in range(draws):
            neg_text, neg_video, valid = head._sample_negatives(feats)
            assert valid.all()
            for neg in (neg_text, neg_video):
                assert neg.shape == (6,) and neg.dtype == torch.long
                assert not same[rows, neg].any(), neg
                drawn[rows, neg] = True
    # near-uniform sampling reaches every allowed negative: only identical texts are blocked
    assert torch.equal(drawn, ~same)


def test_negatives_skip_other_captions_of_the_same_clip():
    # rows 0, 2 and 5 are one clip with three different captions, and their embeddings are
    # the closest pairs: without clip identity the sampler would pick them almost always.
    ids = random_ids(batch=6)
    base = F.normalize(torch.randn(6, FEATURES_EMBED_DIMS), dim=-1)
    base[2], base[5] = base[0] + 0.01, base[0] - 0.01
    feats = make_features(
        ids, text_embed=F.normalize(base, dim=-1), video_embed=F.normalize(base, dim=-1)
    )
    clips = torch.tensor([3, 8, 3, 9, 4, 3])
    feats.inputs['clip_ids'] = clips
    same_clip = clips[:, None] == clips[None]
    head = MODELS.build(dict(type='ITMHead', in_dims=TOY_TEXT_DIMS))
    rows = torch.arange(6)
    for _ in range(200):
        *negatives, valid = head._sample_negatives(feats)
        assert valid.all()
        for neg in negatives:
            assert not same_clip[rows, neg].any(), neg


def test_a_negative_is_never_a_pair_shown_elsewhere_in_the_batch():
    """Clips A, A, B with captions x, y, y: (A, y) is pair 1, so neither B's negative clip
    for y nor A's negative text (for pair 0) may make it; a naive reference of the positives
    (clip shown with that caption anywhere in the batch) agrees with every draw."""
    ids = random_ids(batch=5)
    ids[2] = ids[1]  # captions x, y, y, z, w
    clips = torch.tensor([10, 10, 20, 30, 40])
    feats = make_features(ids)
    feats.inputs['clip_ids'] = clips
    texts = [tuple(t.tolist()) for t in ids]
    shown = {(int(c), t) for c, t in zip(clips, texts)}
    head = MODELS.build(dict(type='ITMHead', in_dims=TOY_TEXT_DIMS, negative_temperature=10.0))
    drawn_text, drawn_video = set(), set()
    for _ in range(300):
        neg_text, neg_video, valid = head._sample_negatives(feats)
        assert valid.all()
        for i in range(5):
            assert (int(clips[i]), texts[neg_text[i]]) not in shown  # clip i, a negative text
            assert (int(clips[neg_video[i]]), texts[i]) not in shown  # a negative clip, text i
            drawn_text.add((i, int(neg_text[i])))
            drawn_video.add((i, int(neg_video[i])))
    allowed_text = {
        (i, j) for i in range(5) for j in range(5) if (int(clips[i]), texts[j]) not in shown
    }
    allowed_video = {
        (i, j) for i in range(5) for j in range(5) if (int(clips[j]), texts[i]) not in shown
    }
    assert drawn_text == allowed_text and drawn_video == allowed_video  # nothing else blocked


def test_pairs_without_a_true_negative_add_only_their_positive():
    # pairs 0-2 are one clip (three captions), 3-5 another: each pair has true negatives;
    # then all six are one clip, or one caption: none has, and only positives are trained
    head = MODELS.build(dict(type='ITMHead', in_dims=TOY_TEXT_DIMS))
    labels = []
    head.loss_module.register_forward_hook(lambda module, args, out: labels.append(args[1]))
    for clips, same_text in (([0, 0, 0, 1, 1, 1], False), ([7] * 6, False), (None, True)):
        ids = random_ids(batch=6)
        if same_text:
            ids[:] = ids[0]
        feats = make_features(ids)
        if clips is not None:
            feats.inputs['clip_ids'] = torch.tensor(clips)
        for _ in range(20):
            neg_text, neg_video, valid = head._sample_negatives(feats)
            assert (neg_text != torch.arange(6)).all() and (neg_video != torch.arange(6)).all()
            if clips is not None and clips[0] != clips[-1]:
                assert valid.all()
                for neg in (neg_text, neg_video):
                    assert (torch.tensor(clips)[neg] != torch.tensor(clips)).all()
            else:
                assert not valid.any()
        out = head.loss(feats, [])
        assert torch.isfinite(out['loss_itm'])
    assert [label.tolist() for label in labels] == [[1] * 6 + [0] * 12, [1] * 6, [1] * 6]


def test_non_finite_similarities_draw_uniformly_instead_of_raising():
    # a diverged model's NaN embeddings: the head draws uniformly; the NaN losses
    # then reach FiniteLossHook, which names the iteration (torch.multinomial would raise)
    feats = make_features(random_ids(batch=4))
    feats.video_embed = torch.full_like(feats.video_embed, float('nan'))
    head = MODELS.build(dict(type='ITMHead', in_dims=TOY_TEXT_DIMS))
    neg_text, neg_video, valid = head._sample_negatives(feats)
    assert valid.all() and (neg_text != torch.arange(4)).all()
    assert (neg_video != torch.arange(4)).all()


def test_batch_of_one_raises():
    head = MODELS.build(dict(type='ITMHead', in_dims=TOY_TEXT_DIMS))
    with pytest.raises(ValueError):
        head.loss(make_features(random_ids(batch=1)), [])


def test_model_without_joint_embeddings_is_an_error_naming_embed_dim():
    head = MODELS.build(dict(type='ITMHead', in_dims=TOY_TEXT_DIMS))
    feats = make_features(random_ids())
    feats.video_embed = feats.text_embed = None
    with pytest.raises(ValueError, match='model.embed_dim'):
        head.loss(feats, [])


def test_num_pairs_matches_a_subset_with_the_same_negatives():
    # with one seed the negatives drawn for the first pairs are the same; the head then fuses
    # 3 x num_pairs pairs in one call (every pair: the shared positives, then 2 x batch
    # negatives) whose logits are those rows of the full head's
    fusion = MODELS.build(
        dict(
            type='CrossAttentionFusion',
            text_dims=TOY_TEXT_DIMS,
            video_dims=24,
            num_layers=1,
            num_heads=2,
        )
    ).eval()
    batch, n = 6, 2
    feats = make_features(random_ids(batch=batch), fusion=fusion)
    fused_pairs = []

    def counting_fuse(text, mask, video):
        fused_pairs.append(text.shape[0])
        return fusion(text, mask, video)

    feats.fuse = counting_fuse
    head = MODELS.build(dict(type='ITMHead', in_dims=TOY_TEXT_DIMS))
    logits = []
    head.classifier.register_forward_hook(lambda module, args, out: logits.append(out))
    for num_pairs in (None, n):
        head.num_pairs = num_pairs
        feats._fused_positives.clear()
        torch.manual_seed(0)
        head.loss(feats, [])
    assert fused_pairs == [batch, 2 * batch, 3 * n]
    full, subset = logits
    rows = torch.cat([torch.arange(n) + k * batch for k in range(3)])
    torch.testing.assert_close(subset, full[rows])
    with pytest.raises(ValueError, match='num_pairs'):
        MODELS.build(dict(type='ITMHead', in_dims=TOY_TEXT_DIMS, num_pairs=0))


@pytest.mark.parametrize('temperature', [0, -0.3, float('nan'), float('inf'), True, '0.3', None])
def test_negative_temperature_must_be_a_positive_number(temperature):
    with pytest.raises(ValueError, match='negative_temperature must be a positive number, got'):
        MODELS.build(dict(type='ITMHead', in_dims=TOY_TEXT_DIMS, negative_temperature=temperature))
    head = MODELS.build(dict(type='ITMHead', in_dims=TOY_TEXT_DIMS, negative_temperature=2))
    assert head.negative_temperature == 2.0
    with pytest.raises(ValueError, match='negative_temperature must be a positive number, got'):
        head.negative_temperature = temperature  # what AttributeScheduleHook assigns
    assert head.negative_temperature == 2.0


def test_a_pair_keeps_the_negative_it_has_when_the_other_is_missing():
    """Clips A, A, B captioned x, y, x: (B, x) has a negative text (y) but no negative clip (A is
    shown with x); its text negative is kept, its clip draw ignored (both were dropped)."""
    ids = random_ids(batch=3)
    ids[2] = ids[0]
    feats = make_features(ids)
    feats.inputs['clip_ids'] = torch.tensor([10, 10, 20])
    head = MODELS.build(dict(type='ITMHead', in_dims=TOY_TEXT_DIMS))
    neg_text, _, valid = head._sample_negatives(feats)
    assert valid.tolist() == [[False, False, True], [False, True, False]]  # (A, y): clip B
    assert int(neg_text[2]) == 1  # y
    assert head.loss(feats, [])['loss_itm'].isfinite()
