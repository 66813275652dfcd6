"""Settings: the master key is read and checked there, and never shown."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from ledger.config import AGGREGATE_CACHE_SIZE, MASTER_KEY, STATEMENT_TIMEOUT, Settings
from ledger.errors import ConfigurationError
from ledger.privacy import KeyMaterial

RAW = os.urandom(32)
GIVEN = base64.b64encode(RAW).decode()


def test_the_master_key_is_read_from_the_settings_and_never_shown() -> None:
    settings = Settings.from_environ({MASTER_KEY: GIVEN})
    assert settings.master_key == RAW
    assert GIVEN not in repr(settings) and repr(RAW) not in repr(settings)
    assert "master_key" not in repr(settings)
    assert Settings.from_environ({}).master_key is None
    assert Settings.from_environ({MASTER_KEY: ""}).master_key is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not base64!", "is not valid base64"),
        (base64.b64encode(bytes(range(16))).decode(), "must decode to 32 bytes"),
    ],
)
def test_a_bad_master_key_is_refused_naming_the_setting_not_the_value(
    value: str, message: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_environ({MASTER_KEY: value})
    assert str(caught.value) == f"{MASTER_KEY}: {message}"
    assert value not in str(caught.value)


def test_the_key_material_takes_the_configured_master_key(tmp_path: Path) -> None:
    settings = Settings.from_environ({MASTER_KEY: GIVEN, "AUXLEDGER_KEY_DIR": str(tmp_path)})
    material = KeyMaterial(settings.key_dir, settings.master_key)
    master = material.master()
    assert master is not None and master.raw == RAW
    material.ensure()  # the blind-index key only: the master key is not written to a file
    assert sorted(p.name for p in settings.key_dir.iterdir()) == ["blind-index.key"]
    with pytest.raises(ConfigurationError, match=MASTER_KEY):
        material.promote_pending()  # a rotation cannot replace a key given in the environment


def test_the_aggregate_cache_size_is_a_setting_handed_to_the_library() -> None:
    assert Settings.from_environ({}).eventsourcing_env()["AGGREGATE_CACHE_MAXSIZE"] == "5000"
    settings = Settings.from_environ({AGGREGATE_CACHE_SIZE: " 250000 "})
    assert settings.aggregate_cache_size == 250_000
    assert settings.eventsourcing_env()["AGGREGATE_CACHE_MAXSIZE"] == "250000"


@pytest.mark.parametrize("value", ["0", "-5", "1e4", "lots", "10000001", "٣"])
def test_a_bad_aggregate_cache_size_is_refused_in_one_line(value: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_environ({AGGREGATE_CACHE_SIZE: value})
    assert str(caught.value) == (
        f"{AGGREGATE_CACHE_SIZE}: must be a whole number from 1 to 10,000,000"
    )


@pytest.mark.parametrize("value", ["0.0009", "1e-9", "0.0004"])
def test_a_statement_timeout_under_a_millisecond_is_refused_not_unlimited(value: str) -> None:
    # PostgreSQL counts whole milliseconds, and 0 means no limit at all.
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_environ({STATEMENT_TIMEOUT: value})
    assert str(caught.value) == (
        f"{STATEMENT_TIMEOUT}: must be 0 (no limit) or at least 0.001 seconds"
    )


@pytest.mark.parametrize(("value", "seconds"), [("0", 0.0), ("0.001", 0.001), ("2.5", 2.5)])
def test_a_statement_timeout_of_0_or_a_millisecond_and_more_is_kept(
    value: str, seconds: float
) -> None:
    assert Settings.from_environ({STATEMENT_TIMEOUT: value}).statement_timeout == seconds
