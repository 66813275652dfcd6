"""What the regulation says: aggregates, events, value objects, policy and errors.

Pure Python on ``eventsourcing.domain``: no I/O, no clock, no SQL, HTTP or cryptography. Time
comes in as arguments (``at``, ``effective``); local policy comes in as a ``Policy``.

Modules: ``organ`` (organs, units, quota), ``auxiliary`` (an auxiliary's record), ``complaint``
(Art. 17), ``pay`` (Art. 7), ``misconduct`` (Art. 19); ``values`` (value sets and value objects),
``policy`` (configuration with defaults), ``errors`` (the error hierarchy), ``identity``
(resident ID numbers), ``events`` (what every event carries), ``authority`` (role and scope
checks), ``checks`` (argument checks), ``history`` (effective-dated histories).
Event topics (module path and qualified name, such as ``domain.auxiliary:Auxiliary.Hired``) are
stored forever: never move or rename an event class.
"""
