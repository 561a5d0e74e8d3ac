from .transformer_block import TransformerBlock

__all__ = ['TransformerBlock']
