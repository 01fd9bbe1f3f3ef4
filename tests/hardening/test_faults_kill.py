"""The bot killed (``kill -9``) in the middle of sending prompts and of compiling the report.

Real ``ragtime`` processes against the fake Slack and a SQLite file. Prompts: the process is
killed while a prompt is on its way (the fake Slack holds the request unanswered, so the kill lands
at a known point); started again once the in-flight prompt's lease has passed (the outbox leaves a
claimed row alone for 5 minutes, in case its sender is only slow), it sends the rest: every SRO is
prompted exactly once. Reports: a compile killed half-way leaves the previous files untouched and
records and posts nothing; running it again compiles and posts a complete, readable set.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader
from sqlalchemy.engine import Engine
from sqlmodel import col, func, select

from bot.framework.example import load_example
from bot.messaging.outbox import CLAIM_BATCH
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.models import CompiledReport, OutboxMessage, OutboxStatus, Update
from storage.repo import find_period
from tests.fakeslack import BOT_TOKEN, FakeSlack
from tests.paths import ROOT
from tests.scenario.conftest import DAVID, IN_SLACK, LEAD, OWNED, elements

pytestmark = pytest.mark.slow

Q2, Q3 = "2024/25 Q2", "2024/25 Q3"
GOVERNANCE = "C0GOVERN"
LEASE = timedelta(minutes=5)  # bot.messaging.outbox.DEFAULT_LEASE


def ragtime(*args: str, fake: FakeSlack, database_url: str, cwd: Path,
            env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``ragtime …`` as an operator runs it, in its own process (``env``: more settings)."""
    settings = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "RAGTIME_"))}
    settings.update({
        "PYTHONPATH": str(ROOT), "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": fake.api_url,
        "DATABASE_URL": database_url, "RAGTIME_GOVERNANCE_CHANNEL": GOVERNANCE,
        "RAGTIME_GOVERNANCE_LEADS": LEAD, **(env or {}),
    })
    env = settings
    return subprocess.Popen([sys.executable, "-m", "ragtime.cli", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(process: subprocess.Popen[str]) -> str:
    output, _ = process.communicate(timeout=180)
    assert process.returncode == 0, output
    return output


def kill_when(process: subprocess.Popen[str], condition: Callable[[], bool],
              timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the process ended before the kill:\n{process.communicate()[0]}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("the moment to kill never came")
        time.sleep(0.01)
    process.kill()  # SIGKILL: no clean-up of any kind
    process.wait()


@pytest.fixture
def world(fake_slack: FakeSlack, engine: Engine) -> FakeSlack:
    """The bundled example (with its 2024/25 Q2 updates); its SROs in Slack, found by email."""
    with session_scope(engine, write=True) as session:
        load_example(session)
    for user, email in IN_SLACK.items():
        fake_slack.add_user(user, email=email)
    return fake_slack


# ------------------------------------------------------------------------------ the fan-out

def prompts_reached(fake: FakeSlack) -> dict[str, Counter[int]]:
    """Prompt messages each person holds, counted per deliverable."""
    reached: dict[str, Counter[int]] = {}
    for user in IN_SLACK:
        counts: Counter[int] = Counter()
        for message in fake.messages_in(fake.dm_channel_for(user)):
            buttons = [e for e in elements(message.get("blocks") or [])
                       if e.get("action_id") == "open_update"]
            if buttons and "thread_ts" not in message:
                counts[json.loads(buttons[0]["value"])["d"]] += 1
        if counts:
            reached[user] = counts
    return reached


def everyone_once() -> dict[str, Counter[int]]:
    return {user: Counter(owned) for user, owned in OWNED.items() if user != DAVID}


def outbox(engine: Engine) -> Counter[str]:
    with session_scope(engine) as session:
        rows = session.exec(select(OutboxMessage.status).where(OutboxMessage.kind == "prompt"))
        return Counter(str(status) for status in rows)


def lease_passes(engine: Engine) -> None:
    """Five minutes go by: the prompt the killed process had claimed may be sent again."""
    with session_scope(engine, write=True) as session:
        for row in session.exec(select(OutboxMessage).where(
                OutboxMessage.status == OutboxStatus.sending)):
            row.claimed_at = row.claimed_at - LEASE - timedelta(seconds=1)
            session.add(row)


def test_a_fan_out_killed_mid_send_resumes_with_no_duplicate_and_no_gap(
    world: FakeSlack, engine: Engine, sqlite_url: str, tmp_path: Path
):
    world.latency = 0.02
    opening = ragtime("round", "open", Q3, fake=world, database_url=sqlite_url, cwd=tmp_path)
    world.wait_for("chat.postMessage", 6, timeout=60)
    world.delay_next("chat.postMessage", 30)  # the next prompt hangs unanswered, to no effect
    kill_when(opening, lambda: any(c.fault == "timeout" for c in world.attempts()))

    before = outbox(engine)
    # The in-flight prompt and the rest of its claimed chunk (bot.messaging.outbox.CLAIM_BATCH)
    assert 1 <= before["sending"] <= CLAIM_BATCH
    assert before["pending"] > 0 and before["sent"] >= 6
    world.clear_faults()

    # Started again at once, it sends what was never claimed; the claimed chunk waits its lease.
    finish(ragtime("round", "open", Q3, fake=world, database_url=sqlite_url, cwd=tmp_path))
    assert outbox(engine) == Counter({"sent": sum(before.values()) - before["sending"],
                                      "sending": before["sending"]})

    lease_passes(engine)
    finish(ragtime("round", "open", Q3, fake=world, database_url=sqlite_url, cwd=tmp_path))

    assert prompts_reached(world) == everyone_once()
    assert outbox(engine) == Counter({"sent": sum(before.values())})


def test_a_fan_out_killed_after_slack_accepted_a_prompt_sends_it_once(
    world: FakeSlack, engine: Engine, sqlite_url: str, tmp_path: Path
):
    world.latency = 0.02
    opening = ragtime("round", "open", Q3, fake=world, database_url=sqlite_url, cwd=tmp_path)
    world.wait_for("chat.postMessage", 6, timeout=60)
    world.delay_next("chat.postMessage", 1.0, process=True)  # Slack posts it, answers late
    time.sleep(0.3)
    kill_when(opening, lambda: True)
    time.sleep(1.2)  # the held prompt is posted; the killed process never heard back
    assert 1 <= outbox(engine)["sending"] <= CLAIM_BATCH  # it, and the rest of its chunk

    lease_passes(engine)
    finish(ragtime("round", "open", Q3, fake=world, database_url=sqlite_url, cwd=tmp_path))

    assert prompts_reached(world) == everyone_once()


# ------------------------------------------------------------------------------ the compile

def change_an_update(engine: Engine, narrative: str) -> None:
    """A new version of deliverable 1's Q2 update, so a new compile differs from the last."""
    with session_scope(engine, write=True) as session:
        period = find_period(session=session, fy=2024, quarter=2)
        latest = session.exec(select(Update).where(Update.deliverable_id == 1,
                                                   Update.period_id == period.id)
                              .order_by(col(Update.version).desc())).first()
        session.add(Update(deliverable_id=1, period_id=period.id, version=latest.version + 1,
                           rag=latest.rag, narrative=narrative, source=latest.source,
                           submitted_by_slack_id=latest.submitted_by_slack_id))


def report_files(folder: Path) -> dict[str, Path]:
    return {path.suffix: path for path in folder.glob("sutg-2024-25-Q2*")}


def readable_text(files: dict[str, Path]) -> dict[str, str]:
    """Each file's text as a reader sees it (opening each proves it is whole)."""
    document = Document(str(files[".docx"]))
    return {
        ".md": files[".md"].read_text(encoding="utf-8"),
        ".html": files[".html"].read_text(encoding="utf-8"),
        ".docx": " ".join(c.text for t in document.tables for r in t.rows for c in r.cells),
        ".pdf": " ".join(" ".join((page.extract_text() or "").split())
                         for page in PdfReader(files[".pdf"]).pages),
    }


def writing_pdf(out: Path) -> Callable[[], bool]:
    """True once the compile has written its Word file (into its staging folder) and is busy
    with the PDF, the slow last step."""
    return lambda: any(out.glob(".sutg-2024-25-Q2.partial-*/sutg-2024-25-Q2.docx"))


@pytest.fixture(scope="module")
def killed_compile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Compile into a folder, change an update, compile again and kill it while it writes the
    PDF, then compile once more."""
    folder = tmp_path_factory.mktemp("killed-compile")
    url = f"sqlite:///{folder / 'ragtime.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine, write=True) as session:
        load_example(session)
    out = folder / "report"
    with FakeSlack() as fake:
        finish(ragtime("compile", Q2, "--out", str(out), fake=fake, database_url=url, cwd=folder))
        first = report_files(out)
        change_an_update(engine, "Changed after the first compile")
        started = time.time()
        compiling = ragtime("compile", Q2, "--out", str(out), fake=fake, database_url=url,
                            cwd=folder)
        kill_when(compiling, writing_pdf(out))
        after_kill = {suffix: path.stat().st_mtime > started for suffix, path in first.items()}
        finish(ragtime("compile", Q2, "--out", str(out), fake=fake, database_url=url, cwd=folder))
    engine.dispose()
    return {"after_kill": after_kill, "files": report_files(out),
            "leftovers": sorted(p.name for p in out.iterdir() if p.name.startswith("."))}


def test_a_compile_run_again_after_a_kill_writes_a_whole_consistent_report(killed_compile):
    texts = readable_text(killed_compile["files"])  # type: ignore[arg-type]
    assert all("Changed after the first compile" in text for text in texts.values()), texts
    assert killed_compile["leftovers"] == []  # the killed compile's staging folder is gone


def test_a_killed_compile_leaves_the_previous_report_whole(killed_compile):
    """No mix of old and new files: the folder still holds the previous compile, untouched."""
    assert killed_compile["after_kill"] == dict.fromkeys(  # type: ignore[comparison-overlap]
        (".md", ".html", ".docx", ".pdf", ".png"), False)


def test_a_posted_compile_killed_half_way_posts_nothing_and_runs_again_cleanly(
    world: FakeSlack, engine: Engine, sqlite_url: str, tmp_path: Path
):
    out = tmp_path / "report"
    compiling = ragtime("compile", Q2, "--post", "--out", str(out), fake=world,
                        database_url=sqlite_url, cwd=tmp_path)
    kill_when(compiling, writing_pdf(out))

    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(CompiledReport)).one() == 0
    assert not [c for c in world.calls("chat.postMessage") if c.params["channel"] == GOVERNANCE]
    assert not world.uploaded_files()

    finish(ragtime("compile", Q2, "--post", "--out", str(out), fake=world,
                   database_url=sqlite_url, cwd=tmp_path))

    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(CompiledReport)).one() == 1
    summary = [c for c in world.calls("chat.postMessage") if c.params["channel"] == GOVERNANCE]
    assert len(summary) == 1
    uploaded = {upload.filename: upload.data for upload in world.uploaded_files()}
    assert {Path(name).suffix for name in uploaded} >= {".md", ".html", ".docx", ".pdf"}
    assert len(PdfReader(out / "sutg-2024-25-Q2.pdf").pages) >= 4
    assert uploaded["sutg-2024-25-Q2.pdf"] == (out / "sutg-2024-25-Q2.pdf").read_bytes()

