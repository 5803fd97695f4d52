"""Logs hold no patient data at any level, are readable by their owner only, and rotate (issue 15, row 9)."""

from __future__ import annotations

import logging
import os

import pytest
from pydantic import BaseModel, ValidationError

from scribe import logs

NAME, MRN = "Alexandra Morganstern", "MRN-5550123"


@pytest.fixture()
def log_file(tmp_path):
    logs.forget_phi()
    handler = logs.PrivateRotatingFileHandler(tmp_path / "logs" / "scribe-test.log", max_bytes=4000, backups=2)
    handler.setLevel(logging.DEBUG)
    logger = logging.getLogger("scribe.test-logs")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    yield logger, tmp_path / "logs" / "scribe-test.log"
    logger.removeHandler(handler)
    handler.close()
    logs.forget_phi()


class _Model(BaseModel):
    n: int


def test_patient_words_input_values_and_paths_never_reach_the_file(log_file):
    logger, path = log_file
    logs.register_phi(NAME, MRN)
    logger.debug("opening the visit of %s (%s)", NAME, MRN)
    logger.info("patient morganstern said hello")  # a registered name, in any case
    logger.warning("cannot read %s", path.parent / "Alexandra Morganstern visit.m4a")
    said = " ".join(["chest", "pain", "since", "Monday"])  # (the traceback quotes source lines: not this)
    try:
        _Model.model_validate({"n": said})
    except ValidationError:
        logger.exception("storage problem")
    try:
        open(f"/home/dr/Patients/{NAME}.json")  # noqa: SIM115
    except OSError as exc:
        logger.error("import failed: %s", exc)
    text = path.read_text()
    for secret in (NAME, MRN, "Morganstern", "morganstern", "chest pain since Monday", "Patients/"):
        assert secret not in text, secret
    assert "[patient data]" in text and "input_value=[redacted]" in text and "ValidationError" in text


def test_log_files_are_private_and_rotate(log_file):
    logger, path = log_file
    for i in range(300):
        logger.info("line %d of an event with an id enc-%d", i, i)
    files = sorted(path.parent.glob("scribe-test.log*"))
    assert [f.name for f in files] == ["scribe-test.log", "scribe-test.log.1", "scribe-test.log.2"]
    assert all(f.stat().st_size <= 4200 for f in files)
    if os.name == "posix":
        assert all(f.stat().st_mode & 0o777 == 0o600 for f in files)
        assert path.parent.stat().st_mode & 0o077 == 0


def test_an_internal_error_in_the_cli_logs_no_patient_data(tmp_path, monkeypatch, capsys):
    """A bug with the patient's name in its message: the terminal gets one line, the log no name."""
    import scribe.cli as cli

    logs.forget_phi()

    def boom(args):
        raise RuntimeError(f"unexpected state for '{tmp_path}/{NAME}.json' with input_value={MRN}")

    monkeypatch.setattr(cli, "cmd_templates", boom)
    code = cli.main(["templates"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "internal error (RuntimeError)" in err
    log_path = err.split("Details were written to ")[1].split(" Please")[0].rstrip(".")
    text = open(log_path).read()  # noqa: SIM115
    assert "RuntimeError" in text and NAME not in text and MRN not in text
    assert os.stat(log_path).st_mode & 0o077 == 0
