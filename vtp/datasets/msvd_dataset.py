"""MSVD retrieval in the CLIP4Clip layout (about 40 captions per video)."""

import io
import os.path as osp
import pickle
from typing import Any, Dict, Iterator, NoReturn

from vtp.datasets.annotation import (
    AnnotationError,
    brief,
    check_unique,
    iter_lines,
    lone_surrogate,
)
from vtp.datasets.base_video_text_dataset import BaseVideoTextDataset
from vtp.registry import DATASETS


class _PlainUnpickler(pickle.Unpickler):
    """Reads pickles of builtin containers and strings only: it imports nothing, so a
    downloaded annotation file cannot run code."""

    def find_class(self, module: str, name: str) -> NoReturn:
        raise pickle.UnpicklingError(
            f'refusing to load {module}.{name}: the annotation '
            'should hold only dicts, lists and strings'
        )


@DATASETS.register_module()
class MSVDDataset(BaseVideoTextDataset):
    """MSVD (https://aclanthology.org/P11-1020/) as CLIP4Clip ships it.

    ``raw-captions.pkl`` maps each video id to its tokenised captions (``{video_id: [[token,
    ...], ...]}``, about 40 per video); ``split_file`` (``train_list.txt``, ``val_list.txt``
    or ``test_list.txt``: 1200 / 100 / 670 ids, one per line) picks the videos. Tokens are
    joined with spaces. Every caption is a retrieval query at test time (the multi-caption
    protocol; never concatenate them into one query, which inflates R@1).

    Videos are read from ``{data_prefix['video']}/{video_id}{video_ext}``. An id listed twice
    in ``split_file`` is an error (a video twice in the retrieval gallery ties with itself,
    which puts its captions' match at rank 2).

    A pickle can refer to one list many times, so a few kB can stand for gigabytes of
    captions; reading stops with an error once the captions of the listed videos pass
    ``max_caption_chars`` characters (the whole release: about 80k short captions, a few
    million characters).

    Args:
        split_file: the id list, relative to ``data_root``.
        video_ext: extension of the video files (``.avi`` as released).
        max_caption_chars: most caption characters read (one more per caption is counted).
        **kwargs: :class:`BaseVideoTextDataset` arguments (``ann_file`` is raw-captions.pkl).
    """

    extra_files = ('split_file',)

    @classmethod
    def reading(cls, cfg: Dict[str, Any], path: str) -> Dict[str, Any]:
        """The videos listed in ``path`` (ids, one per line, as ``split_file``), with their
        captions from the config's pickle."""
        return dict(cfg, split_file=path)

    def __init__(
        self,
        *args: Any,
        split_file: str,
        video_ext: str = '.avi',
        max_caption_chars: int = 50_000_000,
        **kwargs: Any,
    ) -> None:
        self.split_file = split_file
        self.video_ext = video_ext
        self.max_caption_chars = max_caption_chars
        super().__init__(*args, **kwargs)

    def parse_annotations(self) -> Iterator[dict[str, Any]]:
        path = self.ann_file
        with open(path, 'rb') as f:
            data = f.read()
        stream = io.BytesIO(data)  # a length in a damaged pickle cannot make a read allocate it
        try:
            captions = _PlainUnpickler(stream).load()
        except Exception as e:  # any malformed pickle; nothing is imported or run
            raise AnnotationError(path, 1, '<pickle>', f'{type(e).__name__}: {e}') from e
        if stream.tell() != len(data):
            raise AnnotationError(
                path,
                1,
                '<pickle>',
                f'{len(data) - stream.tell()} bytes after the end of the pickle',
            )
        if not isinstance(captions, dict):
            raise AnnotationError(path, 1, '<root>', 'expected {video_id: [[token, ...], ...]}')
        listed: Dict[str, int] = {}
        chars = 0  # caption characters read so far, one more per caption
        for line, video_id in iter_lines(self.split_file):
            video_id = video_id.strip()
            check_unique(listed, video_id, self.split_file, line, 'video_id')
            if video_id not in captions:
                raise AnnotationError(
                    self.split_file, line, 'video_id', f'{video_id!r} has no captions in {path}'
                )
            if not isinstance(captions[video_id], list):
                raise AnnotationError(
                    path,
                    1,
                    video_id,
                    f'expected a list of captions, got {brief(captions[video_id])}',
                )
            texts = []
            for i, tokens in enumerate(captions[video_id]):
                if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
                    raise AnnotationError(
                        path,
                        1,
                        f'{video_id}[{i}]',
                        f'expected a list of tokens, got {brief(tokens)}',
                    )
                chars += sum(map(len, tokens)) + max(len(tokens), 1)  # with the spaces
                if chars > self.max_caption_chars:
                    raise AnnotationError(
                        path,
                        1,
                        f'{video_id}[{i}]',
                        f'the captions of the videos of {self.split_file} up to here pass '
                        f'max_caption_chars={self.max_caption_chars} characters (a pickle '
                        'that repeats shared lists?); raise max_caption_chars if the file '
                        'is genuine',
                    )
                text = ' '.join(tokens)
                at = lone_surrogate(text)
                if at is not None:
                    raise AnnotationError(
                        path,
                        1,
                        f'{video_id}[{i}]',
                        f'not text: a lone UTF-16 surrogate {text[at]!r}',
                    )
                texts.append(text)
            if not texts:
                raise AnnotationError(path, 1, video_id, 'no captions')
            yield dict(
                filename=osp.join(self.data_prefix['video'], video_id + self.video_ext),
                text=texts,
                video_id=video_id,
            )
