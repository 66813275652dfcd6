"""Ed25519 signature checks spread over worker processes (the GIL serialises them otherwise).

``cryptography``'s Ed25519 verify holds the GIL, so threads give no speed-up; a small
process pool does. This module imports only ``cryptography`` so workers start quickly.

Invariants:
- A batch result lists exactly the tags whose signature did not verify (or whose key is
  unknown to the worker); an exception in a worker propagates to the caller, it is never
  read as "all good".
- Work is submitted with a bounded number of batches in flight, so memory stays flat.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

Job = tuple[Any, bytes, bytes, bytes]  # (tag, key id, message, signature)

_KEYS: dict[bytes, Ed25519PublicKey] = {}


def _init_worker(keys: dict[bytes, bytes]) -> None:
    _KEYS.clear()
    for key_id, raw in keys.items():
        _KEYS[key_id] = Ed25519PublicKey.from_public_bytes(raw)


def check_batch(jobs: Sequence[Job]) -> list[Any]:
    """Return the tags of the jobs whose signature fails."""
    failed: list[Any] = []
    for tag, key_id, message, signature in jobs:
        key = _KEYS.get(key_id)
        if key is None:
            failed.append(tag)
            continue
        try:
            key.verify(signature, message)
        except InvalidSignature:
            failed.append(tag)
    return failed


class SignatureChecker:
    """Checks signatures in batches, in worker processes when there is more than one core."""

    def __init__(
        self, keys: dict[bytes, bytes], *, workers: int | None = None, batch: int = 512
    ) -> None:
        self.workers = workers if workers is not None else (os.cpu_count() or 1)
        self.batch = batch
        self._keys = dict(keys)
        self._pool: ProcessPoolExecutor | None = None
        self._pending: list[Job] = []
        self._futures: list[Future[list[Any]]] = []
        self._failed: list[Any] = []
        if self.workers <= 1:
            _init_worker(self._keys)

    def __enter__(self) -> SignatureChecker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(self._keys,),
            )
        return self._pool

    def add(self, tag: Any, key_id: bytes, message: bytes, signature: bytes) -> None:
        """Queue one signature check."""
        self._pending.append((tag, key_id, message, signature))
        if len(self._pending) >= self.batch:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        jobs, self._pending = self._pending, []
        if self.workers <= 1:
            self._failed.extend(check_batch(jobs))
            return
        pool = self._ensure_pool()
        self._futures.append(pool.submit(check_batch, jobs))
        while len(self._futures) > 2 * self.workers:
            self._failed.extend(self._futures.pop(0).result())

    def failures(self) -> list[Any]:
        """Finish everything queued and return the failing tags."""
        self._flush()
        while self._futures:
            self._failed.extend(self._futures.pop(0).result())
        return list(self._failed)

    def close(self) -> None:
        """Stop the worker processes."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def check_all(keys: dict[bytes, bytes], jobs: Iterable[Job], workers: int) -> Iterator[Any]:
    """Convenience: check every job, yield failing tags."""
    with SignatureChecker(keys, workers=workers) as checker:
        for job in jobs:
            checker.add(*job)
        yield from checker.failures()
