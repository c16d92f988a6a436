"""BER of multi-user datasets: joint LMMSE detection with perfect CSI lies between the
closed forms of zero-forcing and of interference-free maximal-ratio combining."""

from __future__ import annotations

import pytest

from chanest.data.dataset import open_dataset
from chanest.data.scenario import parse_config
from chanest.data.simulate import Simulator
from chanest.data.writer import DatasetWriter
from chanest.link.evaluate import PERFECT_CSI, evaluate_link
from tests.link.test_link_evaluate import rayleigh_qpsk_ber


def _users_dataset(tmp_path, users: int, antennas: int, n: int = 512):
    scn = parse_config({
        "seed": 3, "chunk_size": 64,
        "pilots": {"pattern": "kronecker", "symbols": [2, 11], "spacing": users},
        "users": {"count": users},
        "channel": {"num_rx_antennas": antennas,
                    "models": [{"model": "pdp", "profile": "ETU", "speed_mps": 30}]},
        "noise": {"snr_db": [0, 8]}})
    path = tmp_path / "users.h5"
    DatasetWriter(path, Simulator(scn), n).run()
    return open_dataset(path)


def test_joint_lmmse_ber_of_two_users_lies_between_zero_forcing_and_interference_free_mrc(
        tmp_path):
    """2 users, 2 antennas, every RE's channel CN(0, 1) per user and antenna (ETU at 30
    m/s): zero-forcing leaves each user 1 branch of diversity, MRC without the other user
    would give 2; the LMMSE detector lies strictly between (Gray QPSK, Es/N0 = SNR)."""
    with _users_dataset(tmp_path, 2, 2) as data:
        res = evaluate_link(data, ["ls-nearest"], "ber", min_errors=10**9, progress=False)
    rows = [r for r in res.rows if r["estimator"] == PERFECT_CSI]
    assert len(rows) == 2 and all(r["bits"] == 512 // 2 * 2 * res.provenance["link"][
        "counted_bits_per_block"] for r in rows)  # 256 grids per SNR, one block per user
    for row in rows:
        mrc, zf = rayleigh_qpsk_ber(row["snr_db"], 2), rayleigh_qpsk_ber(row["snr_db"], 1)
        assert mrc < row["ber_lo"] and row["ber_hi"] < zf, (row, mrc, zf)
        assert row["ber_hi"] / row["ber_lo"] < 1.5  # the check has power


@pytest.mark.parametrize("metric", ["ber", "bler"])
def test_estimators_on_multi_user_grids_lose_to_perfect_csi_and_lmmse_beats_ls(tmp_path,
                                                                               metric):
    with _users_dataset(tmp_path, 2, 2, n=128) as data:
        res = evaluate_link(data, ["ls-nearest", "lmmse"], metric, min_errors=10**9,
                            progress=False, code_rate=0.5)
    rate = {(r["estimator"], r["snr_db"]): r[metric] for r in res.rows}
    for snr in (0.0, 8.0):
        assert rate[(PERFECT_CSI, snr)] <= rate[("lmmse", snr)] < rate[("ls-nearest", snr)]
    assert res.provenance["link"]["users"] == 2


def test_a_silent_users_bits_are_lost_and_the_other_users_are_not(tmp_path):
    """User 1's channel zeroed: its bits are coin flips (BER 1/2), user 0 is detected as
    a single user; a user/antenna mix-up in the chain would spread the loss over both."""
    import torch

    from chanest.link.chain import LinkChain

    with _users_dataset(tmp_path, 2, 2, n=64) as data:
        batch = data.read()
        chain = LinkChain(data.context(), 2, "qpsk", None)
    h = batch.h.clone()
    h[:, 2:4] = 0  # user 1 at links 2, 3 (user-major)
    info, y = chain.transmit(h, batch.y, batch.no, torch.Generator().manual_seed(0))
    errs = chain.receive(y, h, torch.zeros_like(h.real), batch.no, info)
    ber = errs.bit_errors.sum(0) / (len(batch) * errs.bits)  # per user
    assert abs(ber[1] - 0.5) < 0.01
    assert ber[0] < rayleigh_qpsk_ber(0, 2) * 1.3  # at most the 0 dB MRC rate (of 0/8 dB)


def test_ber_of_one_user_alone_is_refused_in_one_line(tmp_path, runner):
    from chanest.cli import main

    _users_dataset(tmp_path, 2, 2, n=64).close()
    res = runner.invoke(main, ["evaluate", "--data", str(tmp_path / "users.h5"), "--metric",
                               "bler", "--user", "0", "-o", str(tmp_path / "r"), "-q"])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert res.output.startswith("Error: --user: BER/BLER detect every user of a grid jointly")
