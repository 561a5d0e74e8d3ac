"""vtp's registries: children of mmengine's roots, each pointing at the package that fills it.

Configs set ``default_scope = 'vtp'``; plugins register into these registries and are loaded with
``custom_imports``.
"""

from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

__all__ = [
    'RUNNERS',
    'LOOPS',
    'HOOKS',
    'LOG_PROCESSORS',
    'VISUALIZERS',
    'VISBACKENDS',
    'MODEL_WRAPPERS',
    'OPTIMIZERS',
    'OPTIM_WRAPPERS',
    'OPTIM_WRAPPER_CONSTRUCTORS',
    'PARAM_SCHEDULERS',
    'DATASETS',
    'DATA_SAMPLERS',
    'TRANSFORMS',
    'FUNCTIONS',
    'MODELS',
    'WEIGHT_INITIALIZERS',
    'METRICS',
]

#######################################################################
#                           vtp.engine                                #
#######################################################################
RUNNERS = Registry('runner', parent=MMENGINE_RUNNERS, locations=['vtp.engine.runner'])
LOOPS = Registry('loop', parent=MMENGINE_LOOPS, locations=['vtp.engine.runner'])
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, locations=['vtp.engine.hooks'])
LOG_PROCESSORS = Registry(
    'log_processor', parent=MMENGINE_LOG_PROCESSORS, locations=['vtp.engine.runner']
)
VISUALIZERS = Registry('visualizer', parent=MMENGINE_VISUALIZERS, locations=['vtp.engine'])
VISBACKENDS = Registry('vis_backend', parent=MMENGINE_VISBACKENDS, locations=['vtp.engine'])
MODEL_WRAPPERS = Registry(
    'model_wrapper', parent=MMENGINE_MODEL_WRAPPERS, locations=['vtp.engine.runner']
)

#######################################################################
#                           vtp.datasets                              #
#######################################################################
DATASETS = Registry('dataset', parent=MMENGINE_DATASETS, locations=['vtp.datasets'])
DATA_SAMPLERS = Registry(
    'data sampler', parent=MMENGINE_DATA_SAMPLERS, locations=['vtp.datasets.samplers']
)
TRANSFORMS = Registry(
    'transform', parent=MMENGINE_TRANSFORMS, locations=['vtp.datasets.transforms']
)
FUNCTIONS = Registry('function', parent=MMENGINE_FUNCTIONS, locations=['vtp.datasets'])

#######################################################################
#                            vtp.models                               #
#######################################################################
MODELS = Registry('model', parent=MMENGINE_MODELS, locations=['vtp.models'])

#######################################################################
#                          vtp.evaluation                             #
#######################################################################
METRICS = Registry('metric', parent=MMENGINE_METRICS, locations=['vtp.evaluation.metrics'])

#######################################################################
#                      vtp.engine.optimizers                          #
#######################################################################
OPTIMIZERS = Registry('optimizer', parent=MMENGINE_OPTIMIZERS, locations=['vtp.engine.optimizers'])
OPTIM_WRAPPERS = Registry(
    'optim_wrapper', parent=MMENGINE_OPTIM_WRAPPERS, locations=['vtp.engine.optimizers']
)
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
    locations=['vtp.engine.optimizers'],
)
PARAM_SCHEDULERS = Registry(
    'parameter scheduler', parent=MMENGINE_PARAM_SCHEDULERS, locations=['vtp.engine.optimizers']
)
WEIGHT_INITIALIZERS = Registry(
    'weight initializer', parent=MMENGINE_WEIGHT_INITIALIZERS, locations=['vtp.models']
)
