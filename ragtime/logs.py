"""Structured (JSON-lines) logging with secrets redacted.

Tokens never reach a log line: a filter scrubs anything shaped like a Slack token or a
database password, whichever library produced the record. Narrative text is logged only at
DEBUG by our own code; at INFO we log ids, counts and outcomes.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

_SECRETS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"xox[abposr]-[A-Za-z0-9-]+"), "[redacted]"),  # bot/user tokens
    (re.compile(r"xapp-[A-Za-z0-9-]+"), "[redacted]"),  # app-level tokens
    (re.compile(r"(?i)(bearer\s+)[^\s'\",}]+"), r"\1[redacted]"),
    (re.compile(r"(://[^:/\s]+:)[^@/\s]+(@)"), r"\1[redacted]\2"),  # passwords in URLs
)
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def redact(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, default=str))


def configure_logging(level: str = "INFO", *, json_lines: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # slack_sdk logs full request headers (the bot token) at DEBUG: never let it.
    # websocket-client's trace shows the Socket Mode URL, whose ticket opens a connection.
    for noisy in ("slack_sdk", "slack_bolt", "urllib3", "apscheduler", "waitress", "websocket"):
        logging.getLogger(noisy).setLevel(max(logging.INFO, root.level))
