"""``AUXLEDGER_READ_DATABASE_URL``: a PostgreSQL replica of a PostgreSQL ledger, or refused."""

from __future__ import annotations

import pytest
from starlette.datastructures import Headers

from api.read_after import READ_AFTER_COOKIE, READ_AFTER_HEADER, requested_position
from api.settings import READ_AFTER_WAIT, ApiSettings
from ledger.config import DATABASE_URL, READ_DATABASE_URL, Settings
from ledger.errors import ConfigurationError

PRIMARY = "postgresql://ledger:secret@db1.example:5432/auxledger?schema=province"


def settings(**env: str) -> Settings:
    return Settings.from_environ({DATABASE_URL: PRIMARY, **env})


def test_no_setting_no_replica() -> None:
    assert settings().read_database is None
    assert settings(**{READ_DATABASE_URL: " "}).read_database is None


def test_a_replica_takes_the_ledgers_schema_unless_it_names_the_same() -> None:
    replica = settings(**{READ_DATABASE_URL: "postgresql://reader:pw@db2.example/auxledger"})
    assert replica.read_database is not None
    assert replica.read_database.host == "db2.example"
    assert replica.read_database.schema == "province"
    # Never the password in what is printed.
    assert "pw" not in replica.read_database.describe()
    assert "pw" not in repr(replica.read_database)
    same = settings(**{READ_DATABASE_URL: "postgresql://r@db2.example/auxledger?schema=province"})
    assert same.read_database is not None and same.read_database.schema == "province"


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({READ_DATABASE_URL: "sqlite:///var/replica.sqlite"}, "not SQLite"),
        ({READ_DATABASE_URL: "postgresql://r@db2.example/auxledger?schema=other"}, "province"),
        ({READ_DATABASE_URL: "postgresql://r@db2.example/auxledger?schema=Bad"}, "schema"),
        ({READ_DATABASE_URL: "mysql://r@db2.example/auxledger"}, "expected"),
        (
            {DATABASE_URL: "sqlite:///var/ledger.sqlite", READ_DATABASE_URL: PRIMARY},
            "needs a PostgreSQL ledger",
        ),
    ],
)
def test_refused_with_one_line_naming_the_setting(env: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        Settings.from_environ({DATABASE_URL: PRIMARY, **env})
    message = str(raised.value)
    assert READ_DATABASE_URL in message and says in message
    assert "\n" not in message and "secret" not in message


def test_the_wait_setting() -> None:
    env = {DATABASE_URL: PRIMARY}
    assert ApiSettings.from_environ(env).read_after_wait == 2.0
    assert ApiSettings.from_environ({**env, READ_AFTER_WAIT: "0.5"}).read_after_wait == 0.5
    with pytest.raises(ConfigurationError, match=READ_AFTER_WAIT):
        ApiSettings.from_environ({**env, READ_AFTER_WAIT: "11"})


def test_the_position_a_request_asks_for() -> None:
    assert requested_position(Headers({READ_AFTER_HEADER: "42"})) == 42
    assert requested_position(Headers({"cookie": f"a=b; {READ_AFTER_COOKIE}=7"})) == 7
    assert (
        requested_position(Headers({READ_AFTER_HEADER: "9", "cookie": f"{READ_AFTER_COOKIE}=7"}))
        == 9
    )
    for bad in ("-1", "1e9", "x", "", "1" * 19):
        assert requested_position(Headers({READ_AFTER_HEADER: bad})) is None
    assert requested_position(Headers({})) is None
