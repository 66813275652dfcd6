"""Read-model tables and handlers: what decoding rows and dispatching events rely on."""

from __future__ import annotations

import typing

import pytest

from projections.service import PROJECTIONS
from projections.tables import Column, Table, column_types
from projections.views import STATE_TABLE

ALL_TABLES = (
    STATE_TABLE,
    *(table for projection in PROJECTIONS.values() for table in projection.tables),
    *(p.flags for p in PROJECTIONS.values() if p.flags is not None),
)


def test_a_column_name_has_one_type_in_every_table() -> None:
    # A query joining tables decodes each result column by the types of the tables it
    # names; that is unambiguous because no name is typed two ways anywhere.
    types = column_types(tuple(ALL_TABLES))
    for table in ALL_TABLES:
        for column in table.columns:
            assert types[column.name] == column.type, (table.name, column.name)


def test_decoding_refuses_tables_that_type_a_column_two_ways() -> None:
    one = Table("rm_one", (Column("k", "int"), Column("x", "date")), ("k",), "whole")
    two = Table("rm_two", (Column("k", "int"), Column("x", "text")), ("k",), "whole")
    assert column_types((one,))["x"] == "date"
    with pytest.raises(ValueError, match="column x is date elsewhere but text in rm_two"):
        column_types((one, two))


def test_every_handler_accepts_the_event_classes_it_is_registered_for() -> None:
    # mypy checks @handles against each handler's annotation; this checks the same at run
    # time, for the table the dispatch is built from.
    for projection in PROJECTIONS.values():
        assert projection._dispatch, projection.name
        for event_class, attr in projection._dispatch.items():
            accepted = typing.get_type_hints(getattr(projection, attr))["e"]
            classes = typing.get_args(accepted) or (accepted,)
            assert issubclass(event_class, classes), (projection.name, attr, event_class)


def test_a_table_refuses_statistics_on_one_column_or_on_unknown_ones() -> None:
    columns = (Column("k", "int"), Column("x", "text"), Column("y", "int"))
    Table("rm_ok", columns, ("k",), "whole", statistics=(("x", "y"),))
    with pytest.raises(ValueError, match="statistics go with two columns or more"):
        Table("rm_one", columns, ("k",), "whole", statistics=(("x",),))
    with pytest.raises(ValueError, match=r"names unknown columns \['z'\]"):
        Table("rm_unknown", columns, ("k",), "whole", statistics=(("x", "z"),))
