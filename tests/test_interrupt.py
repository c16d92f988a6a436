import os
import signal

import pytest

from chanest.interrupt import ctrl_c


@pytest.fixture
def python_sigint():
    """Python's own SIGINT handler, also when the test run inherited SIGINT ignored (a shell's
    background job)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_a_ctrl_c_swallowed_by_a_callback_is_raised_again_at_the_next_check(python_sigint):
    with ctrl_c() as interrupt:
        try:  # what a weakref callback or finalizer does with the KeyboardInterrupt
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(10_000):
                pass
        except KeyboardInterrupt:
            pass
        with pytest.raises(KeyboardInterrupt):
            interrupt.check()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_check_without_ctrl_c_does_nothing_and_an_ignored_sigint_stays_ignored(python_sigint):
    with ctrl_c() as interrupt:
        interrupt.check()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with ctrl_c():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
