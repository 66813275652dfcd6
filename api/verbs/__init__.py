"""Command-line verbs beyond the core ones in ``api.cli``, one module each.

Every module here defines ``register(subparsers) -> None``, adding its verb with
``set_defaults(func=handler)`` where ``handler(args) -> int``. ``api.cli`` discovers the
modules at start-up, so a new verb needs no edit elsewhere.
"""
