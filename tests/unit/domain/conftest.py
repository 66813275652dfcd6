"""Fixtures for the domain tests: policy, actors, a registered organ, a hired auxiliary."""

from __future__ import annotations

import pytest

from domain.auxiliary import Auxiliary
from domain.organ import Organ
from domain.policy import Policy

from .support import POLICY, hire, register_organ


@pytest.fixture
def policy() -> Policy:
    """The default policy (levels 1-10, Nantong 2023)."""
    return POLICY


@pytest.fixture
def organ() -> Organ:
    """A registered organ with units A and B and a quota of 3."""
    return register_organ()


@pytest.fixture
def auxiliary(organ: Organ) -> Auxiliary:
    """An auxiliary hired on 2024-01-02 into unit A under officer PO-1001, level 1, patrol."""
    return hire(organ)
