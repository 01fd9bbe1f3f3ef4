"""What opening a round says about adding Ragtime in Teams through Microsoft Graph: each
failure reason once, naming everyone it stopped; the others' outcomes on one line."""

from bot.collection.teams_installs import install_lines, install_problems
from bot.framework.teams import Added

REFUSED = "failed: Microsoft Graph refused Ragtime (HTTP 403: Insufficient privileges)"


def test_failures_are_grouped_by_reason_and_the_rest_summarised():
    added = [Added("Sharon Murphy", "s@x", "installed"),
             Added("James Mullins", "j@x", REFUSED),
             Added("Jean Knight", "k@x", "not found in the tenant"),
             Added("Paul Sheldon", "p@x", REFUSED),
             Added("Sarah Willis", "w@x", "failed: Microsoft Graph is unreachable: timed out")]
    problems = install_problems(added)
    assert [(p.who, p.what) for p in problems] == [
        ("James Mullins, Paul Sheldon", "Ragtime could not be added in Teams for them through "
         "Microsoft Graph: Microsoft Graph refused Ragtime (HTTP 403: Insufficient privileges)"),
        ("Sarah Willis", "Ragtime could not be added in Teams for them through Microsoft "
         "Graph: Microsoft Graph is unreachable: timed out")]
    assert install_lines(added) == [
        "Adding Ragtime in Teams (Microsoft Graph): Sharon Murphy: installed; Jean Knight: not "
        "found in the tenant. Teams tells Ragtime of each installation; they are reached "
        "there from then on."]


def test_nothing_is_said_without_graph():
    assert install_problems(()) == () and install_lines(()) == []
