"""When things happen: NHS financial-year periods, English working days, each round's calendar
(open, reminders, deadline, escalation, compile) and the record of scheduled runs."""
