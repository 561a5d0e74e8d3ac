from vtp.utils.pretrained import route_mmengine_loaders

from .hooks import *  # noqa: F401,F403
from .optimizers import *  # noqa: F401,F403
from .runner import *  # noqa: F401,F403

route_mmengine_loaders()
