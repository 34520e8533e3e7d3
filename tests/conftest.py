"""Shared fixtures: the course root and the notebook folders."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def free_port() -> int:
    """A free TCP port on 127.0.0.1 for a test server (JupyterLab in test_lab and test_browser)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
