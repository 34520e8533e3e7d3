"""A real browser in JupyterLab: open a notebook with a widget, run it, move a control, read the result.

The test starts its own JupyterLab on 127.0.0.1 (a free port, a random token) serving a temporary
folder with a small notebook it writes itself, drives Debian's Chromium with Playwright, and saves
a screenshot to ``test-artifacts/browser/``. The repository's notebooks are never opened or written.
It is skipped, with the reason, when Chromium, Playwright or the project's ``.venv`` is missing.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
JUPYTER = ROOT / ".venv" / "bin" / "jupyter"
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NOTEBOOK = "widget_check.ipynb"

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # optional: pip install playwright
    sync_playwright = None

pytestmark = [
    pytest.mark.skipif(sync_playwright is None, reason="needs playwright (pip install playwright)"),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium (apt-get install chromium)"),
    pytest.mark.skipif(not JUPYTER.exists(), reason="needs the project's .venv with JupyterLab (made by `make`)"),
]


def _write_notebook(folder: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (nncourse)", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("from nncourse import setup_notebook\n\nctx = setup_notebook(seed=0)"),
        nbformat.v4.new_code_cell("from nncourse.widgets import ActivationExplorer\n\nActivationExplorer()"),
        nbformat.v4.new_code_cell("from nncourse.widgets import Playground\n\nPlayground(steps_per_click=100)"),
    ]
    nbformat.write(nb, folder / NOTEBOOK)


def _start_lab(tmp_path: Path) -> tuple[subprocess.Popen, str, str]:
    """JupyterLab serving ``tmp_path/course`` with a test-only config (no news toast); returns (proc, url, token)."""
    config = tmp_path / "config"
    (config / "labconfig").mkdir(parents=True)
    page_config = {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}
    (config / "labconfig" / "page_config.json").write_text(json.dumps(page_config))
    course = tmp_path / "course"
    course.mkdir()
    _write_notebook(course)
    port, token = free_port(), secrets.token_hex(16)
    args = [
        str(JUPYTER),
        "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.token={token}",
        f"--ServerApp.root_dir={course}",
        "--LabApp.expose_app_in_browser=True",
    ]
    if os.geteuid() == 0:
        args.append("--allow-root")
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
    }
    env.pop("MPLBACKEND", None)
    log = open(tmp_path / "lab.log", "wb")
    proc = subprocess.Popen(args, cwd=course, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, (
            f"jupyter lab exited with {proc.returncode}: {(tmp_path / 'lab.log').read_text()[-2000:]}"
        )
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5):  # loopback: our own server
                return proc, base, token
        except OSError:
            time.sleep(0.5)
    _stop(proc)
    pytest.fail("JupyterLab did not answer within 90 s")


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server we started (its own process group: the server and its kernel)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


KERNEL_IDLE = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle';
}"""


def test_widgets_respond_in_jupyterlab(tmp_path: Path):
    proc, base, token = _start_lab(tmp_path)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(f"{base}/lab/tree/{NOTEBOOK}?token={token}", timeout=90_000)
                page.wait_for_function(KERNEL_IDLE, timeout=90_000, polling=250)
                page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")

                explorer = page.locator(".jp-CodeCell").nth(1)  # the ActivationExplorer cell
                label = explorer.locator(".widget-label", has_text="max |f'(x)|")
                label.wait_for(timeout=90_000)
                explorer.locator(".jp-OutputArea-output img").first.wait_for(timeout=30_000)  # the plot arrived
                first = label.inner_text()
                assert first.startswith("sigmoid: max |f'(x)| = 0.25 on [-6, 6]"), first

                explorer.locator(".widget-dropdown select").select_option("tanh")  # the dropdown
                page.wait_for_function(
                    "() => [...document.querySelectorAll('.widget-label')].some(e => e.textContent.startsWith('tanh: max'))",
                    timeout=30_000,
                )
                assert label.inner_text().startswith("tanh: max |f'(x)| = 1 on [-6, 6]")

                handle = explorer.locator(".noUi-handle").first  # lower end of the range slider, by keyboard
                handle.focus()
                handle.press("ArrowRight")
                handle.press("ArrowRight")
                page.wait_for_function(
                    "() => [...document.querySelectorAll('.widget-label')].some(e => e.textContent.includes('on [-5, 6]'))",
                    timeout=30_000,
                )
                text = label.inner_text()
                assert text.startswith("tanh: max |f'(x)| = 1 on [-5, 6]"), text
                page.wait_for_function(KERNEL_IDLE, timeout=30_000, polling=250)
                page.wait_for_timeout(500)  # let the new PNG paint
                page.screenshot(path=str(ARTIFACTS / "activation_explorer.png"))

                playground = page.locator(".jp-CodeCell").nth(2)
                status = playground.locator(".widget-label", has_text="train accuracy")  # the playground's status line
                assert status.inner_text().startswith("step 0 |"), status.inner_text()
                playground.locator("button", has_text="Train 100 steps").click()
                page.wait_for_function(
                    "() => [...document.querySelectorAll('.widget-label')].some(e => e.textContent.startsWith('step 100 |'))",
                    timeout=60_000,
                )
                text = status.inner_text()
                assert " | train accuracy " in text, text
                accuracy = float(text.split(" | train accuracy ")[1].split()[0])
                assert accuracy >= 0.9, f"the playground did not separate the spirals: {text}"
                page.wait_for_function(KERNEL_IDLE, timeout=30_000, polling=250)
                page.wait_for_timeout(500)
                playground.screenshot(path=str(ARTIFACTS / "playground.png"))
            finally:
                browser.close()
    finally:
        _stop(proc)
