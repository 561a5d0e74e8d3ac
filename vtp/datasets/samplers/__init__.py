from .infinite_sampler import InfiniteSampler

__all__ = ['InfiniteSampler']
