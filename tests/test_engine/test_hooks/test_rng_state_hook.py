"""Tests for ``RNGStateHook``: a resumed run and a run that evaluates draw the same random
numbers as an uninterrupted run that does not."""

import io
import random
from types import SimpleNamespace

import numpy as np
import torch

from vtp.engine.hooks.rng_state_hook import RNGStateHook, get_rng_state, set_rng_state
from vtp.registry import HOOKS


def draw() -> tuple:
    return random.random(), float(np.random.rand()), float(torch.rand(()))


def test_state_restores_every_generator_and_loads_weights_only():
    state = get_rng_state()
    expected = draw()
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    set_rng_state(torch.load(buffer, weights_only=True))
    assert draw() == expected


def test_resume_restores_the_saved_state_and_loading_weights_does_not():
    hook = HOOKS.build(dict(type='RNGStateHook'))
    checkpoint = {}
    hook.before_save_checkpoint(None, checkpoint)
    expected = draw()
    hook.after_load_checkpoint(None, checkpoint)
    hook.before_train(SimpleNamespace(iter=4))  # resumed at iteration 4
    assert draw() == expected
    hook.after_load_checkpoint(None, checkpoint)
    hook.before_train(SimpleNamespace(iter=0))  # weights only: a fresh run
    assert draw() != expected


def test_validation_leaves_the_training_stream_unchanged():
    hook = RNGStateHook()
    state = get_rng_state()
    expected = draw()
    set_rng_state(state)
    hook.before_val(None)
    draw()  # the validation draws
    hook.after_val(None)
    assert draw() == expected
