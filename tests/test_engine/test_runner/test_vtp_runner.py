"""``load_matching``: one readable line for what a checkpoint gave the model."""
import pytest
import torch
from torch import nn

from vtp.engine.runner.vtp_runner import group_keys, load_matching


class Model(nn.Module):
    def __init__(self, heads=('itc', 'itm', 'mlm'), width: int = 4) -> None:
        super().__init__()
        self.encoder = nn.Linear(width, width)
        self.heads = nn.ModuleDict({name: nn.Sequential(nn.Linear(4, 2), nn.LayerNorm(2))
                                    for name in heads})


def test_pretraining_checkpoint_into_a_retrieval_model():
    pretrained = Model()
    retrieval = Model(heads=('itc', 'itm'))
    summary, exact = load_matching(retrieval, pretrained.state_dict())
    assert summary == "loaded 10 of the model's 10 tensors; unused: heads.mlm.* (4)"
    assert not exact
    torch.testing.assert_close(retrieval.encoder.weight, pretrained.encoder.weight)


def test_missing_and_mismatched_tensors_keep_their_initialisation():
    model = Model(heads=('itc', 'qa'), width=4)
    before = model.heads['qa'][0].weight.clone()
    summary, exact = load_matching(model, Model(heads=('itc', ), width=3).state_dict())
    assert summary == ("loaded 4 of the model's 10 tensors; not in the checkpoint: "
                       "heads.qa.* (4); shape differs: encoder.* (2)")
    assert not exact
    torch.testing.assert_close(model.heads['qa'][0].weight, before)


def test_exact_match():
    model = Model()
    assert load_matching(model, Model().state_dict()) == (
        "loaded 14 of the model's 14 tensors", True)


@pytest.mark.parametrize('keys, expected', [
    (['a.b.c', 'a.b.d', 'a.e'], 'a.b.* (2), a.e'),
    (['x'], 'x'),
])
def test_group_keys(keys, expected):
    assert group_keys(keys) == expected
