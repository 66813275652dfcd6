"""Organs and units as a staff page names them: "name（code）", as the organ's registration
names them (``Organ.name``, ``Organ.units``); a code the registry does not know (or no longer
names) reads as the code alone. Names of organs and units, no personal data.

Invariant: one ``OrganNames`` serves one page (``api.console.staff.signed_in`` puts one in
every staff page's context as ``names``) and reads each organ at most once, however many rows
of the page name it: a queue of 300 complaints of one organ is one read, not 300.
"""

from __future__ import annotations

from typing import Any

from ledger.errors import NotFoundError


class OrganNames:
    """The names of the organs and units one page shows, each organ read once (lazily: a
    page that names none reads none)."""

    def __init__(self, ledger: Any) -> None:
        self._ledger = ledger
        self._read: dict[str, Any] = {}

    def _registered(self, organ: str) -> Any:
        """The organ's registration, or None if the registry has no such organ."""
        if organ not in self._read:
            try:
                self._read[organ] = self._ledger.organ(organ)
            except NotFoundError:
                self._read[organ] = None
        return self._read[organ]

    def organ(self, code: str) -> str:
        """An organ by name and code: 南通市公安局崇川分局（320602）."""
        registered = self._registered(code)
        name = registered.name if registered is not None else None
        return f"{name}（{code}）" if name else code

    def unit(self, organ: str, code: str | None) -> str | None:
        """A unit of the organ by name and code: 城东派出所（320602-001）; None for none."""
        if code is None:
            return None
        registered = self._registered(organ)
        name = registered.units.get(code) if registered is not None else None
        return f"{name}（{code}）" if name else code

    def attribution(self, organ: str, unit: str | None) -> tuple[str, str | None]:
        """The organ and the unit something is attributed to, each by name and code."""
        return self.organ(organ), self.unit(organ, unit)
