"""The pre-commit hooks of .pre-commit-hooks.yaml, run as a user's commit runs them:
`pre-commit try-repo` builds the command from this repository (`language: rust`, `cargo
install`) and scans a throwaway git repository's files.

The build is a release build of the command, about 1 CPU-minute with the dependencies
already compiled, 6 minutes of wall time on CI's two shared cores: .ci/run sets
PICKLEGRAPH_PRECOMMIT=1 to run it, and CARGO_TARGET_DIR is this checkout's target/ so that
the build reuses the release dependencies that `cargo bench --no-run` compiled.
"""

import os
import shutil
import subprocess

import pytest

from conftest import ROOT

pytestmark = [
    pytest.mark.skipif(os.environ.get("PICKLEGRAPH_PRECOMMIT") != "1",
                       reason="builds the command in release (minutes): .ci/run sets "
                              "PICKLEGRAPH_PRECOMMIT=1"),
    pytest.mark.skipif(shutil.which("pre-commit") is None or shutil.which("git") is None,
                       reason="pre-commit (installed by .ci/run from PyPI) and git are needed"),
]


def _git(repo, *args):
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def _try_repo(repo, hook, cache):
    env = dict(os.environ, PRE_COMMIT_HOME=str(cache))
    env.setdefault("CARGO_TARGET_DIR", str(ROOT / "target"))
    return subprocess.run(["pre-commit", "try-repo", str(ROOT), hook, "--all-files"],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=1800)


def test_the_hooks_fail_a_commit_of_a_dangerous_pickle_and_pass_the_rest(tmp_path, marker):
    repo = tmp_path / "project"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "models").mkdir()
    (repo / "models" / "payload.pkl").write_bytes(f"cos\nsystem\n(S'touch {marker}'\ntR.".encode())
    (repo / "models" / "weights.pt").write_bytes(b"\x80\x04K\x01.")
    (repo / "tokenizer_config.yaml").write_text('chat_template: "{% for m in messages %}"\n')
    (repo / "README.md").write_text("TODO: describe the model\n")
    _git(repo, "add", "-A")
    cache = tmp_path / "pre-commit-cache"

    done = _try_repo(repo, "picklegraph-scan", cache)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "- exit code: 3" in done.stdout, done.stdout
    assert "==> models/payload.pkl <==" in done.stdout
    assert "dangerous" in done.stdout and "os.system('touch " in done.stdout
    # Only the files model tools write are given to the first hook.
    assert "README.md" not in done.stdout and "tokenizer_config" not in done.stdout

    # Every file, judged by its content: the YAML is not a pickle and passes.
    done = _try_repo(repo, "picklegraph-scan-all", cache)
    assert "==> tokenizer_config.yaml <==" in done.stdout, done.stdout
    assert "verdict: not a pickle" in done.stdout

    _git(repo, "rm", "-q", "--cached", "models/payload.pkl")
    (repo / "models" / "payload.pkl").unlink()
    done = _try_repo(repo, "picklegraph-scan", cache)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Passed" in done.stdout
