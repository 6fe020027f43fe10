"""The invoke tasks hand the shell quoted argument lists: no value can run a command."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest
from invoke import Context

import tasks

HOSTILE = 'a\' or $(touch {marker}) or `touch {marker}` or "b" ; touch {marker} #'


class Recorder(Context):
    """A context that records the commands a task would run instead of running them."""

    def __init__(self) -> None:
        super().__init__()
        object.__setattr__(self, "commands", [])

    def run(self, command, **kwargs):  # type: ignore[override]
        self.commands.append(command)


def _words_as_the_shell_reads_them(command: str) -> list[str]:
    """The argv a POSIX shell makes of ``command``, without running the program it names."""
    out = subprocess.run(
        ["sh", "-c", f"printf '%s\\0' {command}"], capture_output=True, check=True
    ).stdout
    return out.decode().split("\0")[:-1]


@pytest.mark.parametrize("browser", [True, False])
def test_test_task_quotes_its_expression(tmp_path: Path, browser: bool):
    marker = tmp_path / "ran"
    k = HOSTILE.format(marker=marker)
    c = Recorder()
    tasks.test(c, k=k, browser=browser)
    (command,) = c.commands
    expected = ["python", "-m", "pytest", "-q", "-k", k] + (
        [] if browser else ["-m", "not browser"]
    )
    assert shlex.split(command) == expected
    assert _words_as_the_shell_reads_them(command) == expected
    assert not marker.exists()


def test_serve_quotes_the_site_folder(tmp_path: Path, monkeypatch):
    marker = tmp_path / "ran"
    site = tmp_path / HOSTILE.format(marker=marker).replace("/", "_")
    site.mkdir()
    monkeypatch.setattr("pipeline.paths.SITE_DIR", site)
    c = Recorder()
    tasks.serve(c, port=8123)
    (command,) = c.commands
    words = _words_as_the_shell_reads_them(command)
    assert words[-2:] == ["--directory", str(site)]
    assert not marker.exists()


@pytest.mark.parametrize("installed", [True, False])
def test_setup_installs_the_pinned_axe_core_when_missing(monkeypatch, installed: bool):
    """`invoke setup` (run by CI) installs axe-core with `npm ci` from tests/package-lock.json,
    and leaves it alone when the pinned version is there."""
    monkeypatch.setattr("shutil.which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(tasks, "_axe_installed", lambda: installed)
    c = Recorder()
    tasks.setup(c)
    npm = [shlex.split(cmd) for cmd in c.commands if shlex.split(cmd)[0] == "npm"]
    if installed:
        assert npm == []
    else:
        tests_dir = str(Path(tasks.__file__).resolve().parent / "tests")
        assert npm == [["npm", "ci", "--prefix", tests_dir, "--no-audit", "--no-fund"]]
        assert (Path(tests_dir) / "package-lock.json").exists()


def test_axe_core_counts_as_installed_here():
    assert tasks._axe_installed(), "run `invoke setup` to install axe-core"
