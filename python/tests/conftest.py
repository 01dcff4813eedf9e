"""Shared paths and helpers of the Python package's tests."""

import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"


def fixture_files(*suffixes):
    """Every committed fixture with one of these suffixes, sorted, outside the venv."""
    files = [p for p in FIXTURES.rglob("*") if p.is_file() and p.suffix in suffixes
             and not any(part.startswith(".venv") for part in p.parts)]
    return sorted(files)


def command():
    """The Rust binary to compare with: $PICKLEGRAPH_BIN, the workspace's debug build,
    or else the `picklegraph` command the wheel installed."""
    explicit = os.environ.get("PICKLEGRAPH_BIN")
    if explicit:
        return [explicit]
    built = ROOT / "target" / "debug" / "picklegraph"
    if built.exists():
        return [str(built)]
    return [shutil.which("picklegraph")]


def run_command(*args, **kwargs):
    return subprocess.run(command() + list(args), capture_output=True, **kwargs)


@pytest.fixture
def marker(tmp_path):
    """A path that a hostile payload would create if anything ran it."""
    path = tmp_path / "pwned"
    yield path
    assert not path.exists(), "a payload ran"
