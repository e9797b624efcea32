"""Seeds the global generators of Python, NumPy and torch from MINIONEREC_SEED when an interpreter starts.

Only `make stress` puts this folder on PYTHONPATH: every process of a stress round (the nbdev_test workers, the Jupyter
kernels, pytest and the stages it launches) then starts from that round's seed, so a test or notebook cell that draws
without seeding sees a different draw in every round, and a comparison that only holds for some draws fails there.
"""

import os

_seed = os.environ.get('MINIONEREC_SEED')
if _seed:
    import random

    import numpy
    import torch

    random.seed(int(_seed))
    numpy.random.seed(int(_seed) % 2**32)
    torch.manual_seed(int(_seed))
