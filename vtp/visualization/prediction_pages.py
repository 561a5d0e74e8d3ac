"""Pictures of a test run's predictions (``tools/test.py --show-dir``): per caption the top
retrieved clips with the ground truth framed, per question the clip with the predicted and
true answers, per multiple-choice clip its options with the true one framed."""

import os.path as osp
from typing import Any, Dict, List, Sequence, Union

from vtp.engine.runner.retrieval_loop import RetrievalTestLoop
from vtp.evaluation.metrics import MultipleChoiceMetric, VideoQAMetric
from vtp.visualization.clip_frames import ClipThumbnails
from vtp.visualization.result_page import ResultPage
from vtp.visualization.result_strip import THUMB_SIZE, StripRow


def clip_row(
    thumbnails: ClipThumbnails,
    item: Dict[str, Any],
    rank: Union[int, str],
    score: float,
    name: str,
    mark: str = '',
) -> StripRow:
    """The row of one retrieved clip: its frames, ``#rank  score`` and its name."""
    return StripRow(thumbnails(item), [f'#{rank}  score {score:.4f}', name], mark)


def retrieval_page(
    out_dir: str,
    predictions: Sequence[Dict[str, Any]],
    by_video: Dict[str, Dict[str, Any]],
    thumbnails: ClipThumbnails,
    topk: int,
) -> ResultPage:
    """One strip per caption (the retrieval loop's ``predictions``): its ``topk`` best clips
    (at most the 10 the loop keeps) and its ground-truth clip framed, added as a last row
    when it ranks lower. A caption whose clip could not be read is not ranked (the metrics
    count it as a miss): its strip shows the clip alone, with the reason."""
    page = ResultPage(out_dir, 'Text-to-video retrieval', thumbnails.num_frames)
    for p in predictions:
        truth = p['video_id']
        if p['missing']:
            row = StripRow(thumbnails(by_video[truth]), ['not ranked', truth], 'ground truth')
            page.add(p['caption'], [row], 'not ranked (its clip could not be read)')
            continue
        ranked = list(zip(p['top10'], p['scores']))
        rows = [
            clip_row(thumbnails, by_video[v], r, s, v, 'ground truth' if v == truth else '')
            for r, (v, s) in enumerate(ranked[:topk], 1)
        ]
        found = [r for r, (v, _) in enumerate(ranked, 1) if v == truth]
        if found and found[0] > topk:
            score = ranked[found[0] - 1][1]
            row = clip_row(thumbnails, by_video[truth], found[0], score, truth, 'ground truth')
            rows.append(row)
        elif not found:
            rows.append(StripRow(thumbnails(by_video[truth]), ['rank > 10', truth], 'ground truth'))
        note = f'ground truth at rank {found[0]}' if found else 'ground truth not in the top 10'
        page.add(p['caption'], rows, note)
    return page


def qa_page(
    out_dir: str,
    predictions: Sequence[Dict[str, Any]],
    by_question: Dict[Any, Dict[str, Any]],
    thumbnails: ClipThumbnails,
) -> ResultPage:
    """One strip per question (``VideoQAMetric.predictions``): the clip with the predicted
    and the true answer, framed when they agree."""
    page = ResultPage(out_dir, 'Video question answering', thumbnails.num_frames)
    for p in predictions:
        info = by_question[p['question_id']]
        lines = [f'predicted: {p["prediction"]}', f'answer: {p["answer"]}', str(info['filename'])]
        page.add(
            p['question'], [StripRow(thumbnails(info), lines, 'correct' if p['correct'] else '')]
        )
    return page


def multiple_choice_page(
    out_dir: str,
    predictions: Sequence[Dict[str, Any]],
    by_question: Dict[Any, Dict[str, Any]],
    thumbnails: ClipThumbnails,
) -> ResultPage:
    """One strip per clip (``MultipleChoiceMetric.predictions``): a row per option with its
    score, the chosen one named, the true one framed."""
    page = ResultPage(out_dir, 'Multiple-choice video QA', thumbnails.num_frames)
    for p in predictions:
        info = by_question[p['question_id']]
        frames = thumbnails(info)
        rows = [
            StripRow(
                frames,
                [
                    f'{i}: {option}',
                    f'score {score:.4f}' + (' (chosen)' if i == p['prediction'] else ''),
                ],
                'true option' if i == p['answer'] else '',
            )
            for i, (option, score) in enumerate(zip(info['text'], p['scores']))
        ]
        verdict = 'correct' if p['correct'] else 'wrong'
        page.add(f'{info["filename"]}: which caption? ({verdict})', rows)
    return page


def write_prediction_pages(
    runner: Any, out_dir: str, topk: int = 5, num_frames: int = 4, limit: int = 100
) -> List[str]:
    """Pictures of what a finished ``runner.test()`` predicted, in a folder per task under
    ``out_dir`` (``retrieval/``, ``qa/``, ``multiple_choice/``), each with its
    ``index.html``.

    Args:
        runner: an mmengine ``Runner`` after ``test()``: its ``RetrievalTestLoop``,
            ``VideoQAMetric`` and ``MultipleChoiceMetric`` hold the predictions.
        out_dir: where the folders go.
        topk: clips shown per caption (at most 10).
        num_frames: frames shown per clip.
        limit: queries (or questions) shown per task, the first ones of the test set.

    Returns:
        The ``index.html`` paths written (none when the run kept no predictions).
    """
    dataset = runner.test_dataloader.dataset
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    thumbnails = ClipThumbnails(num_frames, THUMB_SIZE)
    pages = []
    loop = runner.test_loop
    if isinstance(loop, RetrievalTestLoop) and getattr(loop, 'predictions', None):
        by_video = {str(info['video_id']): info for info in infos}
        folder = osp.join(out_dir, 'retrieval')
        pages.append(retrieval_page(folder, loop.predictions[:limit], by_video, thumbnails, topk))
    by_question = {info.get('question_id'): info for info in infos}
    for metric in loop.evaluator.metrics:
        if isinstance(metric, VideoQAMetric) and metric.predictions:
            folder = osp.join(out_dir, 'qa')
            pages.append(qa_page(folder, metric.predictions[:limit], by_question, thumbnails))
        elif isinstance(metric, MultipleChoiceMetric) and metric.predictions:
            folder = osp.join(out_dir, 'multiple_choice')
            pages.append(
                multiple_choice_page(folder, metric.predictions[:limit], by_question, thumbnails)
            )
    return [page.write() for page in pages]
