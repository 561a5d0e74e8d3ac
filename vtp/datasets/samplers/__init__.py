from .infinite_sampler import InfiniteSampler, check_positions_in_order

__all__ = ['InfiniteSampler', 'check_positions_in_order']
