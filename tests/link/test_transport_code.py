"""TransportCode: 5G NR transport blocks (38.214 size, CRC, code-block segmentation) and
a block error that is a CRC failure."""

from __future__ import annotations

import pytest
import torch

from chanest.link.chain import TransportCode
from chanest.schema import ConfigError

pytest.importorskip("sionna.phy")


def test_a_large_transport_block_is_segmented_with_crcs_as_38_212_says():
    """57,600 coded bits of 64QAM at rate 0.8: TBS 46,104 (38.214) + CRC24A = 46,128 bits,
    more than one BG1 code block (8,448 bits with its CRC24B): ⌈46,128 / 8,424⌉ = 6."""
    code = TransportCode(57600, 6, 0.8)
    assert (code.info_bits, code.tb_crc_bits, code.code_blocks, code.cb_crc_bits) == \
        (46104, 24, 6, 24)
    small = TransportCode(1920, 2, 0.5)  # TBS ≤ 3824: CRC16, one block without its own CRC
    assert (small.info_bits, small.tb_crc_bits, small.code_blocks, small.cb_crc_bits) == \
        (984, 16, 1, 0)


def test_a_block_error_is_a_failed_crc_and_bit_errors_count_information_bits():
    code = TransportCode(480, 2, 0.5)
    g = torch.Generator().manual_seed(0)
    info = torch.randint(0, 2, (4, 2, code.info_bits), generator=g).float()
    coded = code.encode(info)
    assert coded.shape == (4, 2, 480)
    llr = 8.0 * (2.0 * coded - 1.0)  # Sionna's sign: positive for bit 1
    llr[1, 0] = -llr[1, 0]  # every bit of one block received wrong
    llr[2, 1, :40] = 0.0  # a few erased bits: the code corrects them
    bit_errors, block_errors = code.errors(llr, info)
    expected = torch.zeros(4, 2, dtype=torch.long)
    expected[1, 0] = 1
    assert torch.equal(block_errors, expected)
    assert bit_errors[1, 0] > 0 and bit_errors.sum() == bit_errors[1, 0]


def test_uncoded_blocks_pass_bits_through_and_err_on_any_wrong_bit():
    code = TransportCode(100, 2)
    info = torch.ones(3, 100)
    llr = torch.ones(3, 100)
    llr[2, 7] = -1.0
    bit_errors, block_errors = code.errors(llr, info)
    assert code.encode(info) is info and code.info_bits == 100
    assert bit_errors.tolist() == [0, 0, 1] and block_errors.tolist() == [0, 0, 1]


@pytest.mark.parametrize("coded_bits, rate, match", [(1920, 0.95, r"\[0.2, 0.9258\]"),
                                                    (1920, 0.1, r"\[0.2, 0.9258\]"),
                                                    (20, 0.5, "too few bits")])
def test_rates_outside_the_tables_and_tiny_grids_are_one_line_errors(coded_bits, rate, match):
    with pytest.raises(ConfigError, match=match) as err:
        TransportCode(coded_bits, 2, rate)
    assert err.value.arg == "code_rate"
