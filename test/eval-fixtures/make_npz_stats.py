"""Write the .npz reference statistics used by core/eval/npz-stats.test.ts, the way
pytorch-fid (np.savez) and clean-fid (np.savez_compressed) write theirs: arrays `mu`
and `sigma`. The values are exact in binary, so the test can compare them exactly.

    /usr/bin/python3 test/eval-fixtures/make_npz_stats.py
"""
import os

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
mu = np.array([0.5, -1.25, 3.0])
sigma = np.array([[2.0, 0.5, 0.0], [0.5, 1.0, 0.25], [0.0, 0.25, 3.0]])
np.savez(os.path.join(here, 'fid_stats_savez.npz'), mu=mu, sigma=sigma)
np.savez_compressed(os.path.join(here, 'fid_stats_savez_compressed.npz'), mu=mu.astype(np.float32), sigma=sigma.astype(np.float32))
