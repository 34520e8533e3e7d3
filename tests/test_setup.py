"""Notebook set-up, device helper, doctor, and the command line."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from nncourse import get_device, seed_everything, setup_notebook
from nncourse.commands import doctor
from nncourse.commands.cli import main


def test_setup_notebook_seeds_everything_and_pins_threads():
    before = torch.get_num_threads()
    try:
        ctx = setup_notebook(seed=7)
        draws = (random.random(), np.random.rand(), torch.rand(1).item(), ctx.rng.random())
        ctx2 = setup_notebook(seed=7)
        assert draws == (random.random(), np.random.rand(), torch.rand(1).item(), ctx2.rng.random())
        assert torch.get_num_threads() == 1 and ctx.threads == 1
    finally:
        torch.set_num_threads(before)
        np.set_printoptions(precision=8, suppress=False, linewidth=75)


@pytest.mark.parametrize("seed", [-1, 1.5, True, "0"])
def test_seed_must_be_a_non_negative_int(seed):
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        seed_everything(seed)


def test_device_helper():
    assert get_device("cpu") == torch.device("cpu")
    assert get_device().type in {"cpu", "cuda", "mps"}
    with pytest.raises(ValueError, match="must be one of"):
        get_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="'cuda' was asked for but is not available"):
            get_device("cuda")


def test_doctor_reports_ready_here_and_not_ready_when_something_is_missing(monkeypatch, capsys):
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "ready:" in out and "digits" in out and "torch build CUDA" in out
    real = doctor._version
    monkeypatch.setattr(doctor, "_version", lambda name: None if name == "ipywidgets" else real(name))
    assert doctor.run_doctor() == 1
    out = capsys.readouterr().out
    assert "ipywidgets    MISSING" in out and "NOT READY" in out and "ipywidgets is not installed" in out


def _spec_dir(tmp_path, python: str):
    import json

    from jupyter_client.kernelspec import KernelSpecManager

    folder = tmp_path / "kernels" / "python3"
    folder.mkdir(parents=True)
    (folder / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3",
                "language": "python",
            }
        )
    )
    return KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")], ensure_native_kernel=False)


def test_doctor_notices_a_python3_kernel_of_another_environment(tmp_path):
    import sys

    lines: list[str] = []
    assert doctor.check_kernel(manager=_spec_dir(tmp_path / "a", sys.executable), out=lines.append) is None
    assert doctor.check_kernel(manager=_spec_dir(tmp_path / "b", "python3"), out=lines.append) is None
    problem = doctor.check_kernel(manager=_spec_dir(tmp_path / "c", "/opt/other-env/bin/python"), out=lines.append)
    assert (
        problem.startswith("the Jupyter kernel 'python3'")
        and "runs /opt/other-env/bin/python, not this environment's Python" in problem
    )
    assert "jupyter kernelspec remove python3" in problem and lines[-1].endswith("ANOTHER environment")
