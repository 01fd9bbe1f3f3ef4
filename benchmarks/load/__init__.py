"""Load-generation parts shared by the ack-latency and memory benchmarks.

- ``slack_side`` — the fake Slack Web API (``tests.fakeslack``) in a process of its own, with the
  lookups a simulated person needs (their prompt messages, the modal a click opened).
- ``servers`` — ``ragtime serve`` (and the bare ack-only Bolt app of ``floor_app``) started as
  subprocesses exactly as an operator starts them, plus their memory figures from ``/proc``.
- ``world`` — a generated framework of N SROs imported into a fresh database.
- ``clients`` — simulated Slack clients (SROs and governance leads) that click, submit modals,
  reply in threads and run slash commands, timing every request to its HTTP answer.
- ``stats`` — percentiles and ratios.

Each server runs in its own process so that the load generator never shares its GIL.
"""
