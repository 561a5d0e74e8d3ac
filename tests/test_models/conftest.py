"""Shared set-up for the ``vtp.models`` tests: one CPU thread and a fixed seed.

The toy sizes keep each test in the tens of milliseconds on a busy 2-core machine; a single
intra-op thread avoids oversubscription, which costs far more than it gains on such small ops.
"""

import pytest
import torch
from transformers import BertModel  # noqa: F401  (slow import: paid at collection)

import vtp.models  # noqa: F401  (fills the registries; mmaction2 is slow to import)


@pytest.fixture(autouse=True)
def _seeded_single_thread():
    """Seed torch and run on one thread; restore the thread count afterwards."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    yield
    torch.set_num_threads(threads)
