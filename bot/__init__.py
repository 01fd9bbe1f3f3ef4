"""The domain, by business area: plain values in and out, no Slack, no APScheduler.

``calendar`` (periods, working days, the round calendar), ``framework`` (import, people,
permissions, rules), ``collection`` (rounds and updates; ``flows`` are the use cases every entry
point calls), ``reports`` (view-model, templates, publishing), ``messaging`` (the outbox and
inbound dedupe). Flows take a ``context.AppContext`` and reach people only through its ports
(``ports``), which the composition root fills.
"""
