"""`picklegraph scan --format sarif` is valid SARIF 2.1.0: the log of a folder holding every
kind of outcome validates against the OASIS schema (tests/sarif/sarif-schema-2.1.0.json,
committed), with the command built by cargo and with the wheel's command, which runs the
same code in this package's extension."""

import json
import shutil
import subprocess

import pytest

from conftest import FIXTURES, ROOT

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is installed by .ci/run")

SCHEMA = json.loads((ROOT / "tests" / "sarif" / "sarif-schema-2.1.0.json").read_text())


def _hub(tmp_path):
    hub = tmp_path / "hub with space"
    for sub in ("hostile", "stdlib", "torch"):
        shutil.copytree(FIXTURES / sub, hub / sub,
                        ignore=shutil.ignore_patterns("*.dis", "*.repr", "*.err"))
    (hub / "tokenizer_config.yaml").write_text('chat_template: "{% for m in messages %}"\n')
    (hub / "short.pkl").write_bytes(b"K\x01")
    (hub / "in_house.pkl").write_bytes(b"cfixmod\nPoint\n)R.")
    return hub


def _commands():
    from conftest import command

    found = [command()]
    wheel = shutil.which("picklegraph")
    if wheel and wheel != found[0][0]:
        found.append([wheel])
    return found


@pytest.mark.parametrize("cmd", _commands(), ids=lambda c: c[0])
def test_the_sarif_log_of_a_folder_validates_against_the_schema(tmp_path, cmd):
    hub = _hub(tmp_path)
    done = subprocess.run(cmd + ["scan", "--format", "sarif", hub.name, "missing.pkl"],
                          cwd=tmp_path, capture_output=True)
    assert done.returncode == 3, done.stderr
    log = json.loads(done.stdout)
    jsonschema.Draft7Validator(SCHEMA).validate(log)
    run = log["runs"][0]
    rules = {rule["id"] for rule in run["tool"]["driver"]["rules"]}
    results = run["results"]
    assert {r["ruleId"] for r in results} >= {"dangerous-call", "not-allowed-call",
                                               "malformed-pickle"}
    assert {r["ruleId"] for r in results} <= rules
    for result in results:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri.startswith("hub%20with%20space/"), uri
    assert not any("tokenizer_config" in json.dumps(r) for r in results)
    assert run["invocations"][0]["executionSuccessful"] is False


def test_an_empty_run_validates_too(tmp_path):
    (tmp_path / "clean.pkl").write_bytes(b"\x80\x04K\x01.")
    from conftest import run_command

    done = run_command("scan", "--format", "sarif", str(tmp_path))
    assert done.returncode == 0, done.stderr
    log = json.loads(done.stdout)
    jsonschema.Draft7Validator(SCHEMA).validate(log)
    assert log["runs"][0]["results"] == []


def test_report_to_sarif_is_the_commands_log_of_that_file(tmp_path):
    import picklegraph
    from conftest import command

    path = tmp_path / "payload.pkl"
    path.write_bytes(b"cos\nsystem\n(S'ls'\ntR.")
    report = picklegraph.scan(path)
    log = json.loads(report.to_sarif())
    jsonschema.Draft7Validator(SCHEMA).validate(log)
    done = subprocess.run(command() + ["scan", "--format", "sarif", str(path)],
                          capture_output=True)
    assert done.returncode == 3
    expected = json.loads(done.stdout)
    # The same results for the same file; the run's own details (invocation) may differ.
    assert log["runs"][0]["results"] == expected["runs"][0]["results"]
    assert {r["ruleId"] for r in log["runs"][0]["results"]} == {"dangerous-global",
                                                                "dangerous-call"}
    # A clean file gives a valid log with no result.
    clean = json.loads(picklegraph.scan(b"\x80\x04]\x94.").to_sarif())
    jsonschema.Draft7Validator(SCHEMA).validate(clean)
    assert clean["runs"][0]["results"] == []
