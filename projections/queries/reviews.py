"""Reviews (复查) of complaints' results as staff see them (``rm_review``): the registry of
review requests with their due dates and outcomes, and the early warning's reviews due soon
or overdue (``due_within``, the report ``reviews_due``).

Invariants kept here:

- Reads only, from ``rm_review``, which follows the signed ``ReviewRequested`` and
  ``ReviewDecided`` events; one row per review asked for (a complaint may have several
  rounds), ordered by due date, then complaint and round.
- A review is overdue on a date D when it is undecided and its due date is before D; it is
  due within N days when it is undecided and due on or before D + N (overdue ones included).
- No personal data: the rows hold ids, dates, the requester's role and the outcome; the
  review's reasons are never read.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.values import ReviewOutcome
from projections.complainant import REVIEW
from projections.queries.common import (
    DEFAULT_PAGE_SIZE,
    ReadModelQueries,
    _Where,
    check_choice,
    check_page,
)
from projections.results import Page, ReviewRow

__all__ = ["DEFAULT_DUE_WITHIN", "REVIEW_STANDINGS", "ReviewQueries"]

REVIEW_STANDINGS = ("open", "overdue", *(o.value for o in ReviewOutcome))
"""The ``standing`` filter of the registry: undecided, undecided past due, or decided so."""
DEFAULT_DUE_WITHIN = 7
"""Days ahead the early warning looks for reviews falling due, unless asked otherwise."""
_COLUMNS = (
    "complaint_id, organ, review_no, requested_on, requested_by_role, due, outcome, decided_on"
)


class ReviewQueries(ReadModelQueries):
    """Review requests and their decisions, for the registry and the early warning."""

    def reviews(
        self,
        *,
        on: date | None = None,
        organ: str | None = None,
        standing: str | None = None,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Page[ReviewRow]:
        """Every review asked for, as it stands on ``on`` (today by default): due date,
        outcome, overdue. ``standing`` keeps the ``open`` (undecided), ``overdue``, ``upheld``
        or ``changed`` ones."""
        page, page_size = check_page(page, page_size)
        day = self.day_asked(on)
        chosen = check_choice("standing", standing, REVIEW_STANDINGS)
        where = _Where()
        where.eq("organ", organ)
        if chosen == "open":
            where.add("outcome IS NULL")
        elif chosen == "overdue":
            where.add("outcome IS NULL AND due < %s", day)
        elif chosen is not None:
            where.add("outcome = %s", chosen)
        return self._page(where, day, organ, page, page_size)

    def due_within(
        self,
        *,
        on: date | None = None,
        within_days: int | None = None,
        organ: str | None = None,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Page[ReviewRow]:
        """Undecided reviews due within ``within_days`` (1 to 366, default
        ``DEFAULT_DUE_WITHIN``) after ``on``, and those already overdue."""
        page, page_size = check_page(page, page_size)
        day, horizon = self.days_ahead(
            on, DEFAULT_DUE_WITHIN if within_days is None else within_days
        )
        where = _Where()
        where.eq("organ", organ)
        where.add("outcome IS NULL AND due <= %s", horizon)
        return self._page(where, day, organ, page, page_size)

    def _page(
        self, where: _Where, day: date, organ: str | None, page: int, page_size: int
    ) -> Page[ReviewRow]:
        with self._reading(organ) as s:
            rows, total = self._page_rows(
                s,
                columns=_COLUMNS,
                source="FROM {rm_review}",
                where=where,
                order="due, complaint_id, review_no",
                page=page,
                page_size=page_size,
                tables=(REVIEW,),
            )
        return Page([_row(r, day) for r in rows], page, page_size, total)


def _row(r: dict[str, Any], day: date) -> ReviewRow:
    due: date = r["due"]
    decided: date | None = r["decided_on"]
    undecided = r["outcome"] is None
    return ReviewRow(
        complaint_id=r["complaint_id"],
        organ=r["organ"],
        review_no=r["review_no"],
        review_requested_on=r["requested_on"],
        review_requested_by=r["requested_by_role"],
        review_due=due,
        review_outcome=r["outcome"],
        review_decided_on=decided,
        review_overdue=undecided and due < day,
        days_left=(due - day).days if undecided and due >= day else None,
        days_over=(day - due).days if undecided and due < day else None,
        decided_late=decided is not None and decided > due,
    )
