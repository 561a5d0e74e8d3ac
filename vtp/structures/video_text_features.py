"""The feature bundle that the algorithm computes once per batch and every head reads."""

from dataclasses import dataclass, field
from typing import Callable, Dict, Optional, Tuple

import torch


@dataclass
class VideoTextFeatures:
    """Unimodal features of a batch of paired clips and texts, plus ways to fuse and re-encode.

    Attributes:
        video_tokens: (B, N, Dv) visual tokens.
        video_embed: (B, E) L2-normalised video embeddings in the joint space (None for a model
            without one).
        text_tokens: (B, L, D) text token features of the unmasked texts.
        text_mask: (B, L) 1 for real tokens, 0 for padding.
        text_embed: (B, E) L2-normalised text embeddings in the joint space (None for a model
            without one).
        inputs: the preprocessed batch (``input_ids``, ``mlm_input_ids``, ``mlm_labels``, ...).
        fuse: ``fuse(text_tokens (B, L, D), text_mask (B, L), video_tokens (B, N, Dv))`` ->
            (B, L, D) fused tokens.
        encode_text: ``encode_text(input_ids (B, L), attention_mask (B, L))`` ->
            ((B, L, D) tokens, (B, D) [CLS]).
        word_embeddings: the text encoder's (vocab, D) input embedding, for tied decoders.
    """

    video_tokens: torch.Tensor
    video_embed: Optional[torch.Tensor]
    text_tokens: torch.Tensor
    text_mask: torch.Tensor
    text_embed: Optional[torch.Tensor]
    inputs: Dict[str, torch.Tensor]
    fuse: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
    encode_text: Callable[[torch.Tensor, torch.Tensor], Tuple[torch.Tensor, torch.Tensor]]
    word_embeddings: torch.nn.Embedding
    _fused_positives: Dict[str, torch.Tensor] = field(default_factory=dict, repr=False)

    @property
    def fused_positives(self) -> torch.Tensor:
        """(B, L, D) fusion of every text with its own clip, computed once and shared by heads."""
        if 'tokens' not in self._fused_positives:
            self._fused_positives['tokens'] = self.fuse(
                self.text_tokens, self.text_mask, self.video_tokens
            )
        return self._fused_positives['tokens']

    def require_pairs(self, head: str) -> None:
        """Raise ``ValueError`` unless the batch pairs one text with each clip, as ``head``'s
        loss does (a train pipeline reading several captions per clip without choosing one
        crashed inside torch's cross entropy)."""
        clips, texts = len(self.video_tokens), len(self.text_tokens)
        if texts != clips:
            raise ValueError(
                f'{head} pairs one text with each clip, got {texts} texts for {clips} clips: a '
                'clip with several captions needs TokenizeText(sample_one=True) in the train '
                'pipeline'
            )
