"""`make lab` serves the learner's workspace: JupyterLab answers on its port, lists the copies, news pop-up off."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import free_port

ROOT = Path(__file__).resolve().parent.parent


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:  # loopback only: our own test server
        return json.loads(response.read())


@pytest.mark.skipif(
    not (ROOT / ".venv" / "bin" / "jupyter").exists(), reason="needs the project's .venv (made by `make`)"
)
def test_make_lab_serves_the_course(tmp_path: Path):
    port = free_port()
    args = f"--no-browser --ip=127.0.0.1 --port={port} --ServerApp.token=test-token --ServerApp.port_retries=0"
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "ws"),
    }
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"LAB_ARGS={args}", f"WORKSPACE={tmp_path / 'workspace'}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline, listing = time.monotonic() + 60, None
        while time.monotonic() < deadline and listing is None:
            assert proc.poll() is None, f"make lab exited with {proc.returncode}"
            try:
                listing = _get(f"{base}/api/contents/lectures?token=test-token")
            except OSError:
                time.sleep(0.5)
        assert listing is not None, "JupyterLab did not answer within 60 s"
        names = {item["name"] for item in listing["content"]}
        assert {"lecture-00_welcome.ipynb", "lecture-01_perceptron.ipynb"} <= names
        assert (tmp_path / "workspace" / "exercises" / "exercise-01_perceptron.ipynb").exists()
        news = _get(f"{base}/lab/api/settings/@jupyterlab/apputils-extension:notification?token=test-token")
        assert news["schema"]["properties"]["fetchNews"]["default"] == "false"  # labconfig/overrides.json
        widgets = _get(f"{base}/lab/api/settings/@jupyter-widgets/jupyterlab-manager:plugin?token=test-token")
        # saved notebooks keep their widgets' state: reopened, a widget shows its state, not "model not found"
        assert widgets["schema"]["properties"]["saveState"]["default"] is True
        with urllib.request.urlopen(f"{base}/lab?token=test-token", timeout=5) as page:
            assert page.status == 200 and b"JupyterLab" in page.read()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
