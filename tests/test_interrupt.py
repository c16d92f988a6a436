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


def test_training_stops_after_the_epoch_in_which_a_swallowed_ctrl_c_arrived(
        tmp_path, scenario_file, python_sigint):
    from chanest.training.loop import Trainer
    from tests.training_setup import experiment

    exp = experiment(tmp_path, scenario_file, train={"epochs": 3},
                     data={"samples_per_epoch": 32, "val_samples": 32})
    trainer = Trainer(exp, device="cpu", progress=False)
    epochs = []

    def swallowed_then_checked():
        epochs.append(trainer.state.global_epoch)
        if len(epochs) == 1:
            try:  # the Ctrl-C lands in a callback that drops it
                os.kill(os.getpid(), signal.SIGINT)
                for _ in range(10_000):
                    pass
            except KeyboardInterrupt:
                pass
        interrupt.check()

    with ctrl_c() as interrupt, pytest.raises(KeyboardInterrupt):
        trainer.after_epoch = swallowed_then_checked
        trainer.fit()
    assert epochs == [1] and trainer.state.global_epoch == 1
    assert (tmp_path / "runs" / "run" / "last.json").exists()  # resumable from epoch 1
