"""Shared fixtures: a tiny moving-shapes data set, tiny copies of the public corpora, and a
toy retrieval model evaluated by tools/test.py."""

import json
import os.path as osp
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

import numpy as np
import pytest
import torch
from mmengine.config import Config

from vtp.registry import MODELS
from vtp.testing import (
    TOY_RERANK_TOPK,
    repo_root,
    run_tool,
    write_corpora,
    write_frames,
    write_toy_config,
)

ROOT = repo_root()


@pytest.fixture(
    params=[
        'cpu',
        pytest.param(
            'cuda',
            marks=pytest.mark.skipif(not torch.cuda.is_available(), reason='no CUDA device'),
        ),
    ]
)
def device(request: pytest.FixtureRequest) -> str:
    """Each device a test should pass on: the CPU, and a CUDA device where there is one."""
    return str(request.param)


@pytest.fixture(scope='session')
def moving_shapes_root(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A moving-shapes data set with 24 training clips and the 100 test clips, and questions
    about them (make_questions.py)."""
    out = tmp_path_factory.mktemp('moving_shapes')
    subprocess.run(
        [
            sys.executable,
            str(ROOT / 'tools/data/moving_shapes/generate.py'),
            '--out-dir',
            str(out),
            '--num-train',
            '24',
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            sys.executable,
            str(ROOT / 'tools/data/moving_shapes/make_questions.py'),
            '--data-dir',
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    assert osp.isfile(out / 'train.csv')
    return str(out)


@pytest.fixture(scope='session')
def corpora_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tiny copies of every pre-training corpus (and MSRVTT test) in their released formats,
    under ``<root>/data``, with local tokenizer folders in ``<root>`` (see
    ``vtp.testing.corpus_fixtures``)."""
    root = tmp_path_factory.mktemp('corpora')
    write_corpora(root)
    return root


@pytest.fixture(scope='session')
def toy_gallery(tmp_path_factory: pytest.TempPathFactory, corpora_root: Path) -> Dict[str, Any]:
    """A toy retrieval model (random weights saved as a checkpoint) over the 5 MSR-VTT test
    clips of ``corpora_root``, redrawn distinct (the fixture's are all one grey ramp, which
    would tie every score).

    Returns ``root`` (run tools there: paths are relative to it), ``config``,
    ``checkpoint`` and ``ann_file`` (the file that lists the test set: MSR-VTT's JSFusion CSV).
    """
    root = tmp_path_factory.mktemp('toy_gallery') / 'root'
    shutil.copytree(corpora_root, root)
    rng = np.random.default_rng(0)
    for i in range(5):
        frames = list(rng.integers(0, 256, (12, 48, 64, 3), dtype=np.uint8))
        write_frames(root / f'data/msrvtt/videos/video{7000 + i}.mp4', frames, 8)
    config = write_toy_config(root / 'toy.py', 'configs/retrieval/msrvtt_9k.py')
    cfg = Config.fromfile(str(config))
    torch.manual_seed(0)
    checkpoint = root / 'toy.pth'
    torch.save(dict(state_dict=MODELS.build(cfg.model).state_dict()), checkpoint)
    dataset = cfg.test_dataloader.dataset
    return dict(
        root=root,
        config=str(config),
        checkpoint=str(checkpoint),
        ann_file=str(root / dataset.data_root / dataset.split_file),
    )


@pytest.fixture(scope='session')
def toy_question_models(
    tmp_path_factory: pytest.TempPathFactory, moving_shapes_root: str
) -> Dict[str, Dict[str, str]]:
    """Toy versions of the moving-shapes QA and multiple-choice configs (random weights saved
    as a checkpoint, the test set cut to its first 8 questions), keyed by task (``qa``,
    ``multiple_choice``): ``config``, ``checkpoint`` and ``ann_file`` (the test annotation)."""
    root = tmp_path_factory.mktemp('toy_questions')
    answers = json.loads(Path(moving_shapes_root, 'answer_list.json').read_text())
    models = {}
    for task, base in (
        ('qa', 'configs/videoqa/moving_shapes.py'),
        ('multiple_choice', 'configs/multiple_choice/moving_shapes.py'),
    ):
        config = write_toy_config(
            root / f'{task}.py', base, moving_shapes_root, num_answers=len(answers)
        )
        cfg = Config.fromfile(str(config))
        torch.manual_seed(0)
        checkpoint = root / f'{task}.pth'
        torch.save(dict(state_dict=MODELS.build(cfg.model).state_dict()), checkpoint)
        dataset = cfg.test_dataloader.dataset
        models[task] = dict(
            config=str(config),
            checkpoint=str(checkpoint),
            ann_file=osp.join(dataset.data_root, dataset.ann_file),
        )
    return models


@pytest.fixture(scope='session')
def toy_retrieval(toy_gallery: Dict[str, Any]) -> Dict[str, Any]:
    """:func:`toy_gallery` and what ``tools/test.py --out`` reports for it with re-ranking
    of the top ``TOY_RERANK_TOPK``, clips embedded one per batch: ``result`` (the --out
    JSON) and ``show_dir`` (its --show-dir pictures)."""
    root = toy_gallery['root']
    out = root / 'test.json'
    show_dir = root / 'show'
    run_tool(
        'tools/test.py',
        toy_gallery['config'],
        toy_gallery['checkpoint'],
        '--work-dir',
        str(root / 'test'),
        '--out',
        str(out),
        '--show-dir',
        str(show_dir),
        '--cfg-options',
        'test_dataloader.batch_size=1',
        f'model.test_cfg.rerank_topk={TOY_RERANK_TOPK}',
        cwd=root,
    )
    return dict(toy_gallery, result=json.loads(out.read_text()), show_dir=show_dir)


@pytest.fixture(scope='session')
def toy_features(toy_gallery: Dict[str, Any]) -> Dict[str, Any]:
    """:func:`toy_gallery` with its test clips' features written by
    ``tools/extract_features.py`` (float32): ``features`` (the folder)."""
    features = toy_gallery['root'] / 'features'
    run_tool(
        'tools/extract_features.py',
        toy_gallery['config'],
        toy_gallery['checkpoint'],
        '--ann',
        toy_gallery['ann_file'],
        '--out',
        str(features),
        '--dtype',
        'float32',
        '--num-workers',
        '0',
        cwd=toy_gallery['root'],
    )
    return dict(toy_gallery, features=str(features))


@pytest.fixture(scope='module')
def toy_searcher(toy_features: Dict[str, Any]) -> Any:
    """A ``FeatureSearch`` over :func:`toy_features` (needs faiss-cpu), to use from
    ``toy_features['root']`` (its clip and tokenizer paths are relative to it)."""
    from vtp.apis import FeatureExtractor, FeatureSearch

    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(toy_features['root'])
        extractor = FeatureExtractor(
            toy_features['config'], toy_features['checkpoint'], batch_size=1, show_progress=False
        )
        return FeatureSearch(extractor, toy_features['features'])
