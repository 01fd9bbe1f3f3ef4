import json
import logging

from ragtime.logs import JsonFormatter, RedactingFilter, configure_logging, redact


def test_tokens_and_passwords_are_redacted():
    text = ("Authorization: Bearer xoxb-123-456-abc token=xapp-1-A0-xyz "
            "postgresql://ragtime:s3cret@db/ragtime")
    cleaned = redact(text)
    assert "xoxb-" not in cleaned and "xapp-" not in cleaned and "s3cret" not in cleaned
    assert "postgresql://ragtime:[redacted]@db/ragtime" in cleaned


def test_json_lines_with_context_and_no_token(capsys):
    configure_logging("INFO")
    logging.getLogger("ragtime.test").info("posted with %s", "xoxb-1-2-3", extra={"period": "Q2"})
    line = capsys.readouterr().err.strip().splitlines()[-1]
    entry = json.loads(line)
    assert entry["period"] == "Q2" and "xoxb" not in line and entry["level"] == "INFO"


def test_slack_sdk_debug_is_suppressed():
    configure_logging("DEBUG")
    assert logging.getLogger("slack_sdk").getEffectiveLevel() == logging.INFO
    record = logging.LogRecord("x", logging.INFO, "", 0, "token %s", ("xoxb-9-9",), None)
    RedactingFilter().filter(record)
    assert "xoxb" not in JsonFormatter().format(record)
