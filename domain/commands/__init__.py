"""Commands: one frozen object per domain action, built once at the edge.

A command carries what the caller decided (the fields of the action); the attribution --
who, when, effective when, on what basis, under which rules -- travels beside it as the
``Recording`` the application service builds once (``domain.events.recording``). An
aggregate's command method takes ``(rec, cmd)``; a command of an existing aggregate knows
which method that is (``run``), so the service never looks a method up by name. Facts the
service needs about a command (does it need the organ, does it give a quota slot back) are
typed class variables of the command class.
"""
