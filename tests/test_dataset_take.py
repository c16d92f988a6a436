"""``ChannelDataset.take``: grids at any indices (any order, repeats), across shard files,
equal to the grids ``read`` gives, the optional ``/paths`` and ``/params`` included; the
memory-mapped row copy (:mod:`chanest.data.rowgather`) equals h5py's reading."""

import h5py
import numpy as np
import pytest
import torch

from chanest.data.batch import TENSOR_FIELDS
from chanest.data.dataset import DatasetWriter, ShardSpec, open_dataset
from chanest.data.rowgather import RowGather
from chanest.data.scenario import parse_config
from chanest.data.simulate import Simulator

UMI = {"chunk_size": 6, "grid": {"num_subcarriers": 24},
       "pilots": {"pattern": "block", "symbols": [2, 11]},
       "channel": {"models": [{"model": "umi", "speed_mps": [0, 3]},
                              {"model": "cdl", "profile": "B", "speed_mps": 3}],
                   "paths": True}}


def assert_same(a, b):
    for name in TENSOR_FIELDS:
        assert torch.equal(getattr(a, name), getattr(b, name)), name
    for name in ("gain", "doppler", "delay"):
        assert torch.equal(getattr(a.paths, name), getattr(b.paths, name)), name
    assert a.params.keys() == b.params.keys()
    for name in a.params:
        torch.testing.assert_close(a.params[name], b.params[name], equal_nan=True, rtol=0,
                                   atol=0)


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    folder = tmp_path_factory.mktemp("take")
    sim = Simulator(parse_config(UMI))
    for i in range(2):
        DatasetWriter(folder / f"s{i}.h5", sim, 30, ShardSpec(i, 2)).run()
    return [folder / "s0.h5", folder / "s1.h5"]


def test_take_gives_the_grids_read_gives_in_the_order_asked(shards):
    with open_dataset(shards) as ds:
        whole = ds.read()
        index = np.array([29, 3, 17, 3, 0, 12, 28])  # both files, a repeat, unsorted
        assert_same(ds.take(index), whole[torch.from_numpy(index)])
        assert ds.take([5]).h.shape == (1, *whole.h.shape[1:])
        with pytest.raises(IndexError):
            ds.take([30])


def test_memory_mapped_rows_equal_h5pys_for_every_stored_field(shards):
    rows = np.array([0, 1, 5, 6, 11, 17])
    with h5py.File(shards[1]) as f:
        n = int(f.attrs["num_samples"])  # 18: chunks 2-4 of 6 grids
        names = []
        f.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset)
                     and obj.ndim and obj.shape[0] == n else None)
        assert {"h", "y", "no", "paths/gain", "params/los"} <= set(names)
        for name in names:
            gather = RowGather.of(f[name])
            assert gather is not None, name
            assert np.array_equal(gather(rows), f[name][rows], equal_nan=True), name


def test_compressed_data_is_read_through_h5py(tmp_path):
    with h5py.File(tmp_path / "c.h5", "w") as f:
        f.create_dataset("x", data=np.arange(40.0).reshape(10, 4), compression="gzip",
                         chunks=(2, 4))
        f.create_dataset("split", data=np.arange(40.0).reshape(10, 4), chunks=(2, 2))
    with h5py.File(tmp_path / "c.h5") as f:
        assert RowGather.of(f["x"]) is None and RowGather.of(f["split"]) is None
