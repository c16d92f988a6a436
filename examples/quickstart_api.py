"""chanest from Python: simulate a small test set, open it, run two estimators on a few
grids, evaluate them on all of it, draw the NMSE figure and print the table.

    python examples/quickstart_api.py [OUT_DIR]    # default: a new temporary folder

About 20 s on 2 CPU cores. The same steps as ``python cli.py quickstart``, smaller.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import torch

import chanest

ESTIMATORS = ["ls-linear", "lmmse-adaptive"]


def main(out: Path) -> None:
    # a scenario: the default one (72x14 LTE grid, 48 pilots, VehA) at four SNRs
    scenario = chanest.parse_config({"noise": {"snr_db": [0, 10, 20, 30]}, "chunk_size": 64})
    sim = chanest.Simulator(scenario, device="cpu")
    batch = sim.generate(8)                                  # in memory: h [8, L, S, F]
    print(f"simulated in memory: h {tuple(batch.h.shape)}, y {tuple(batch.y.shape)}")
    path = chanest.DatasetWriter(out / "test.h5", sim, 256, overwrite=True).run()  # a file

    with chanest.open_dataset(path) as ds:
        grids = ds.read(0, 32)                               # Batch of the first 32 grids
        for name in ESTIMATORS:
            est = chanest.build_estimator(name, ds.context())
            h_hat = est.estimate(chanest.observe(grids)).h_hat   # [32, L, S, F]
            nmse = (h_hat - grids.h).abs().square().sum() / grids.h.abs().square().sum()
            print(f"{name}: NMSE {10 * torch.log10(nmse).item():.2f} dB on 32 grids")
        loader = torch.utils.data.DataLoader(ds, batch_size=64)  # ds as a torch Dataset
        print(f"DataLoader batch: h {tuple(next(iter(loader))['h'].shape)}")
        result = chanest.evaluate(ds, ESTIMATORS, progress=False)

    paths = chanest.write_results(result, out)               # results.csv, paired, json
    figures = chanest.plot_results(paths["csv"], out / "nmse")    # nmse.pdf, .png, .csv
    print(result.table(), end="")
    print(f"wrote {paths['csv']} and {', '.join(p.name for p in figures)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="chanest-")))
