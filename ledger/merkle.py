"""RFC 9162 Merkle tree hashing, proof planning, proof building and proof verification.

Pure functions and one small value class; no storage and no I/O. The RFC steps of
verification are those of ``ledger.bundle_verifier``, the verifier shipped in every bundle, so
the ledger and an outside verifier check a proof with the same code; this module adds the
stricter checks of its input around them.

Invariants:

- ``leaf_hash(d) = SHA-256(LEAF_PREFIX || d)``, ``node_hash(l, r) = SHA-256(NODE_PREFIX || l || r)``
  (RFC 9162 §2.1.1); the two prefixes keep leaves and interior nodes in separate domains.
- The root of the empty tree is ``EMPTY_ROOT = SHA-256(b"")``.
- Every hash handled here is exactly ``HASH_SIZE`` (32) bytes; anything else is an error.
- A *perfect node* ``(level, index)`` is the hash of the leaves ``[index * 2**level,
  (index + 1) * 2**level)``; level 0 holds the leaf hashes. Only perfect nodes are ever stored,
  and a perfect node never changes once its last leaf exists.
- Every node of the RFC 9162 tree of size ``n`` covers ``[k * 2**m, min((k + 1) * 2**m, n))``;
  such a range that is not perfect lies on the right edge of the tree, and its hash is the
  right-to-left fold (``combine_cover``) of the perfect nodes of its ``perfect_cover``.
- A ``Frontier`` of size ``n`` holds one perfect node per set bit of ``n``, largest first; they
  cover ``[0, n)`` exactly and fold into the RFC 9162 root.
- A proof is planned (``inclusion_plan`` / ``consistency_plan``) as leaf ranges, then the store
  reads ``needed_nodes(plan)`` -- at most ``2 * ceil(log2 n) + 2`` perfect nodes -- in one batch,
  then ``assemble`` turns them into the proof. Plans follow RFC 9162 §2.1.3.1 / §2.1.4.1, so
  assembled proofs are exactly the RFC proofs.
- Verification never trusts the proof length: it must equal the length the RFC defines for the
  given sizes/index; a consistency proof from size 0 and an inclusion proof in a tree of size 0
  are errors.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ledger import bundle_verifier

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "LEAF_PREFIX",
    "NODE_PREFIX",
    "ConsistencyProofError",
    "Frontier",
    "InclusionProofError",
    "MerkleError",
    "NodeSpec",
    "ProofRequestError",
    "assemble",
    "combine_cover",
    "consistency_plan",
    "consistency_proof",
    "inclusion_plan",
    "inclusion_proof",
    "is_valid_consistency",
    "is_valid_inclusion",
    "leaf_hash",
    "needed_nodes",
    "node_hash",
    "perfect_cover",
    "root_from_inclusion_proof",
    "root_from_leaf_hashes",
    "verify_consistency",
    "verify_inclusion",
]

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


class MerkleError(Exception):
    """Base class of every error raised by this module."""


class InclusionProofError(MerkleError):
    """An inclusion proof (or its inputs) failed verification; the message says why."""


class ConsistencyProofError(MerkleError):
    """A consistency proof (or its inputs) failed verification; the message says why."""


class ProofRequestError(MerkleError):
    """A proof was requested for positions outside the tree (e.g. index >= size)."""


# ---------------------------------------------------------------------------------------------
# Hashing


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 leaf hash: SHA-256(0x00 || data)."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 interior node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """The largest power of two strictly less than ``n`` (requires n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes | bytearray) and len(value) == HASH_SIZE


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """Reference MTH (RFC 9162 §2.1.1): split at the largest power of two below n, recurse."""
    n = len(hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return bytes(hashes[0])
    k = _largest_power_of_two_below(n)
    return node_hash(root_from_leaf_hashes(hashes[:k]), root_from_leaf_hashes(hashes[k:]))


# ---------------------------------------------------------------------------------------------
# Frontier (compact range [0, size))


class Frontier:
    """The perfect subtree roots covering ``[0, size)``: one per set bit of size, largest first.

    ``append`` is O(log n) and reports every perfect node it completes, so a store can persist
    exactly the new nodes; ``root`` folds the frontier into the RFC 9162 tree head.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int, hashes: Sequence[bytes]) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise MerkleError(f"frontier size must be a non-negative integer, got {size!r}")
        if len(hashes) != size.bit_count():
            raise MerkleError(
                f"frontier of size {size} needs {size.bit_count()} hashes, got {len(hashes)}"
            )
        for position, value in enumerate(hashes):
            if not _is_hash(value):
                raise MerkleError(f"frontier hash {position} is not {HASH_SIZE} bytes")
        self._size = size
        self._hashes = [bytes(h) for h in hashes]

    @classmethod
    def empty(cls) -> Frontier:
        """The frontier of the empty tree."""
        return cls(0, [])

    @classmethod
    def from_bytes(cls, size: int, blob: bytes) -> Frontier:
        """Rebuild a frontier from ``to_bytes`` output (concatenated 32-byte hashes)."""
        if len(blob) % HASH_SIZE:
            raise MerkleError(f"frontier blob length {len(blob)} is not a multiple of {HASH_SIZE}")
        hashes = [blob[i : i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE)]
        return cls(size, hashes)

    @property
    def size(self) -> int:
        """Number of leaves covered."""
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """The covering perfect node hashes, largest (leftmost) first."""
        return tuple(self._hashes)

    def nodes(self) -> list[tuple[int, int, bytes]]:
        """The frontier as stored-node addresses: ``(level, index, hash)``, left to right."""
        out: list[tuple[int, int, bytes]] = []
        start = 0
        for level, value in zip(_set_bits_desc(self._size), self._hashes, strict=True):
            out.append((level, start >> level, value))
            start += 1 << level
        return out

    def to_bytes(self) -> bytes:
        """The hashes concatenated, for storing in a single row next to ``size``."""
        return b"".join(self._hashes)

    def copy(self) -> Frontier:
        """An independent copy (``append`` mutates in place)."""
        return Frontier(self._size, self._hashes)

    def append(self, new_leaf_hash: bytes) -> list[tuple[int, int, bytes]]:
        """Add one leaf hash; return every new perfect node as ``(level, index, hash)``.

        The first element is the leaf itself at level 0; each following element is the parent
        completed by the previous one (one per trailing 1-bit of the old size).
        """
        if not _is_hash(new_leaf_hash):
            raise MerkleError(f"leaf hash must be {HASH_SIZE} bytes")
        current = bytes(new_leaf_hash)
        index = self._size
        level = 0
        created = [(0, index, current)]
        while (self._size >> level) & 1:
            current = node_hash(self._hashes.pop(), current)
            level += 1
            index >>= 1
            created.append((level, index, current))
        self._hashes.append(current)
        self._size += 1
        return created

    def add(self, new_leaf_hash: bytes) -> None:
        """``append`` without reporting the new nodes (for callers that only need roots)."""
        if len(new_leaf_hash) != HASH_SIZE:
            raise MerkleError(f"leaf hash must be {HASH_SIZE} bytes")
        current = bytes(new_leaf_hash)
        hashes = self._hashes
        size = self._size
        while size & 1:
            current = node_hash(hashes.pop(), current)
            size >>= 1
        hashes.append(current)
        self._size += 1

    def extend(self, count: int, hashes: Sequence[bytes]) -> None:
        """Append the compact range of ``count`` leaves that starts at ``size``.

        ``hashes`` are that range's perfect subtree roots, largest first (the ``hashes`` of a
        frontier built over just those leaves). Each subtree must sit where it sits in the
        whole tree: ``size`` a multiple of the largest one's width.
        """
        levels = _set_bits_desc(count)
        if len(hashes) != len(levels):
            raise MerkleError(
                f"{count} leaves need {len(levels)} subtree hashes, got {len(hashes)}"
            )
        for level, value in zip(levels, hashes, strict=True):
            if not _is_hash(value):
                raise MerkleError(f"subtree hash must be {HASH_SIZE} bytes")
            if self._size % (1 << level):
                raise MerkleError(f"a subtree of {1 << level} leaves cannot start at {self._size}")
            current = bytes(value)
            height = level
            while (self._size >> height) & 1:
                current = node_hash(self._hashes.pop(), current)
                height += 1
            self._hashes.append(current)
            self._size += 1 << level

    def root(self) -> bytes:
        """RFC 9162 MTH of ``[0, size)``; ``EMPTY_ROOT`` for the empty tree."""
        if self._size == 0:
            return EMPTY_ROOT
        return combine_cover(self._hashes)

    def __repr__(self) -> str:
        return f"Frontier(size={self._size}, root={self.root().hex()})"


def _set_bits_desc(n: int) -> list[int]:
    return [bit for bit in range(n.bit_length() - 1, -1, -1) if (n >> bit) & 1]


# ---------------------------------------------------------------------------------------------
# Proof planning


@dataclass(frozen=True, slots=True)
class NodeSpec:
    """One proof element: the RFC 9162 subtree hash of the leaves ``[start, end)``."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ProofRequestError(f"invalid leaf range [{self.start}, {self.end})")

    @property
    def is_perfect(self) -> bool:
        """True when the range is a single stored perfect node (power-of-two length, aligned)."""
        width = self.end - self.start
        return width & (width - 1) == 0 and self.start % width == 0

    @property
    def address(self) -> tuple[int, int]:
        """``(level, index)`` of the perfect node; only for ``is_perfect`` specs."""
        if not self.is_perfect:
            raise MerkleError(f"[{self.start}, {self.end}) is not a perfect node")
        level = (self.end - self.start).bit_length() - 1
        return level, self.start >> level


def perfect_cover(start: int, end: int) -> list[tuple[int, int]]:
    """The fewest perfect nodes ``(level, index)`` covering ``[start, end)``, left to right."""
    if not 0 <= start < end:
        raise ProofRequestError(f"invalid leaf range [{start}, {end})")
    out: list[tuple[int, int]] = []
    while start < end:
        level = (start & -start).bit_length() - 1 if start else end.bit_length()
        while start + (1 << level) > end:
            level -= 1
        out.append((level, start >> level))
        start += 1 << level
    return out


def combine_cover(hashes_left_to_right: Sequence[bytes]) -> bytes:
    """Fold a right-edge subtree's cover from the right: ``h0 . (h1 . (... . hk))``."""
    if not hashes_left_to_right:
        raise MerkleError("cannot combine an empty cover")
    result = bytes(hashes_left_to_right[-1])
    for left in reversed(hashes_left_to_right[:-1]):
        result = node_hash(left, result)
    return result


def _check_int(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProofRequestError(f"{name} must be an integer, got {value!r}")


def inclusion_plan(index: int, size: int) -> list[NodeSpec]:
    """Ranges of the RFC 9162 §2.1.3.1 inclusion proof PATH(index, D[size]), leaf side first."""
    _check_int("index", index)
    _check_int("size", size)
    if size <= 0:
        raise ProofRequestError(f"no inclusion proof in a tree of size {size}")
    if not 0 <= index < size:
        raise ProofRequestError(f"leaf index {index} is outside a tree of size {size}")
    top_down: list[NodeSpec] = []
    lo, hi = 0, size
    while hi - lo > 1:
        mid = lo + _largest_power_of_two_below(hi - lo)
        if index < mid:
            top_down.append(NodeSpec(mid, hi))
            hi = mid
        else:
            top_down.append(NodeSpec(lo, mid))
            lo = mid
    top_down.reverse()
    return top_down


def consistency_plan(first: int, second: int) -> list[NodeSpec]:
    """Ranges of the RFC 9162 §2.1.4.1 consistency proof PROOF(first, D[second]), in order."""
    _check_int("first", first)
    _check_int("second", second)
    if first <= 0:
        raise ProofRequestError(f"no consistency proof from a tree of size {first}")
    if first > second:
        raise ProofRequestError(f"first size {first} is larger than second size {second}")
    top_down: list[NodeSpec] = []
    lo, hi = 0, second
    complete = True  # SUBPROOF's flag b: the old tree is still exactly [lo, first)
    while True:
        if first == hi:
            if not complete:
                top_down.append(NodeSpec(lo, hi))
            break
        mid = lo + _largest_power_of_two_below(hi - lo)
        if first <= mid:
            top_down.append(NodeSpec(mid, hi))
            hi = mid
        else:
            top_down.append(NodeSpec(lo, mid))
            lo = mid
            complete = False
    top_down.reverse()
    return top_down


def needed_nodes(plan: Iterable[NodeSpec]) -> set[tuple[int, int]]:
    """Every perfect node ``(level, index)`` that ``assemble`` will read for this plan."""
    needed: set[tuple[int, int]] = set()
    for spec in plan:
        if spec.is_perfect:
            needed.add(spec.address)
        else:
            needed.update(perfect_cover(spec.start, spec.end))
    return needed


def _lookup(nodes: Mapping[tuple[int, int], bytes], address: tuple[int, int]) -> bytes:
    try:
        value = nodes[address]
    except KeyError:
        raise MerkleError(f"node (level={address[0]}, index={address[1]}) is missing") from None
    if not _is_hash(value):
        raise MerkleError(f"node (level={address[0]}, index={address[1]}) is not {HASH_SIZE} bytes")
    return bytes(value)


def assemble(plan: Iterable[NodeSpec], nodes: Mapping[tuple[int, int], bytes]) -> list[bytes]:
    """Turn a plan plus the nodes named by ``needed_nodes(plan)`` into the proof hashes."""
    proof: list[bytes] = []
    for spec in plan:
        if spec.is_perfect:
            proof.append(_lookup(nodes, spec.address))
        else:
            cover = perfect_cover(spec.start, spec.end)
            proof.append(combine_cover([_lookup(nodes, address) for address in cover]))
    return proof


def _nodes_from_leaves(
    needed: Iterable[tuple[int, int]], leaf_hashes: Sequence[bytes]
) -> dict[tuple[int, int], bytes]:
    nodes: dict[tuple[int, int], bytes] = {}
    for level, index in needed:
        start = index << level
        nodes[(level, index)] = root_from_leaf_hashes(leaf_hashes[start : start + (1 << level)])
    return nodes


def inclusion_proof(index: int, size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Inclusion proof built from in-memory leaf hashes (tests and small trees)."""
    plan = inclusion_plan(index, size)
    if len(leaf_hashes) < size:
        raise ProofRequestError(f"tree size {size} exceeds the {len(leaf_hashes)} leaves given")
    return assemble(plan, _nodes_from_leaves(needed_nodes(plan), leaf_hashes))


def consistency_proof(first: int, second: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Consistency proof built from in-memory leaf hashes (tests and small trees)."""
    plan = consistency_plan(first, second)
    if len(leaf_hashes) < second:
        raise ProofRequestError(f"tree size {second} exceeds the {len(leaf_hashes)} leaves given")
    return assemble(plan, _nodes_from_leaves(needed_nodes(plan), leaf_hashes))


# ---------------------------------------------------------------------------------------------
# Verification


def _check_proof(
    proof: Sequence[bytes], expected: int, error: type[MerkleError], sizes: str
) -> None:
    """Raise ``error`` unless the proof has exactly ``expected`` hashes (the RFC 9162 length
    for ``sizes``), each of them ``HASH_SIZE`` bytes."""
    if len(proof) != expected:
        raise error(f"proof has {len(proof)} hashes, expected {expected} for {sizes}")
    for position, element in enumerate(proof):
        if not _is_hash(element):
            raise error(f"proof hash {position} is not {HASH_SIZE} bytes")


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes:
    """Recompute the root from an inclusion proof (RFC 9162 §2.1.3.2 steps 1-4, sn check of 5).

    Before the RFC steps: integer index/size, a 32-byte leaf hash, 32-byte proof hashes and
    exactly the RFC 9162 §2.1.3.1 proof length for (index, size). Then:

    1. fail if leaf_index >= tree_size;
    2. fn = leaf_index, sn = tree_size - 1;
    3. r = leaf hash;
    4. for each p: (a) fail if sn == 0; (b) if LSB(fn) or fn == sn: r = H(p, r) and, if LSB(fn)
       is clear, shift fn and sn right until LSB(fn) is set or fn == 0; else r = H(r, p);
       (c) shift fn and sn right once;
    5. fail unless sn == 0 (``verify_inclusion`` then compares r with the root).

    Raises ``InclusionProofError``.
    """
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise InclusionProofError(f"leaf index must be a non-negative integer, got {index!r}")
    if isinstance(size, bool) or not isinstance(size, int):
        raise InclusionProofError(f"tree size must be an integer, got {size!r}")
    # Step 1: leaf_index >= tree_size fails (this also rejects every tree of size 0).
    if index >= size:
        raise InclusionProofError(f"leaf index {index} is not below tree size {size}")
    if not _is_hash(leaf_hash):
        raise InclusionProofError(f"leaf hash must be {HASH_SIZE} bytes")
    _check_proof(
        proof, len(inclusion_plan(index, size)), InclusionProofError, f"index {index} of {size}"
    )
    # Steps 2-5 (first half), as the shipped verifier runs them: after the checks above a
    # proof of the RFC length reaches the root exactly.
    try:
        return bundle_verifier.root_from_inclusion(bytes(leaf_hash), index, size, proof)
    except ValueError as e:
        raise InclusionProofError(str(e)) from None


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Verify an RFC 9162 §2.1.3.2 inclusion proof; raise ``InclusionProofError`` if invalid."""
    if not _is_hash(root):
        raise InclusionProofError(f"root must be {HASH_SIZE} bytes")
    computed = root_from_inclusion_proof(leaf_hash, index, size, proof)
    # Step 5 (second half): r must equal root_hash.
    if computed != root:
        raise InclusionProofError("computed root does not match the given root")


def is_valid_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Boolean form of ``verify_inclusion``."""
    try:
        verify_inclusion(leaf_hash, index, size, proof, root)
    except InclusionProofError:
        return False
    return True


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> None:
    """Verify an RFC 9162 §2.1.4.2 consistency proof; raise ``ConsistencyProofError`` if invalid.

    Preconditions checked first: integer sizes with 0 < first <= second; equal sizes need
    equal roots and an empty proof; otherwise 32-byte roots and proof hashes, and the proof length
    must be exactly the RFC 9162 §2.1.4.1 length for (first, second). Then:

    1. fail if the proof is empty;
    2. if first is an exact power of 2, prepend first_root to the path;
    3. fn = first - 1, sn = second - 1;
    4. while LSB(fn) is set, shift fn and sn right;
    5. fr = sr = path[0];
    6. for each later c: (a) fail if sn == 0; (b) if LSB(fn) or fn == sn: fr = H(c, fr),
       sr = H(c, sr) and, if LSB(fn) is clear, shift fn and sn right until LSB(fn) is set or
       fn == 0; else sr = H(sr, c); (c) shift fn and sn right once;
    7. succeed only if fr == first_root, sr == second_root and sn == 0.
    """
    for name, value in (("first", first), ("second", second)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConsistencyProofError(f"{name} size must be a non-negative integer")
    if first > second:
        raise ConsistencyProofError(f"first size {first} is larger than second size {second}")
    if first == 0:
        raise ConsistencyProofError("consistency from an empty tree is meaningless")
    if first == second:
        # Equal sizes: the roots are compared as given (the shared vectors accept equal
        # non-32-byte roots here, as transparency-dev does); nothing is hashed.
        if proof:
            raise ConsistencyProofError("sizes are equal but the proof is not empty")
        if bytes(first_root) != bytes(second_root):
            raise ConsistencyProofError("sizes are equal but the roots differ")
        return
    if not _is_hash(first_root):
        raise ConsistencyProofError(f"first root must be {HASH_SIZE} bytes")
    if not _is_hash(second_root):
        raise ConsistencyProofError(f"second root must be {HASH_SIZE} bytes")
    # Step 1: an empty consistency_path fails.
    if not proof:
        raise ConsistencyProofError("proof is empty")
    _check_proof(
        proof, len(consistency_plan(first, second)), ConsistencyProofError, f"{first} -> {second}"
    )
    # Steps 2-6 and the sn check of step 7, as the shipped verifier runs them.
    try:
        fr, sr = bundle_verifier.consistency_roots(
            first, second, bytes(first_root), [bytes(h) for h in proof]
        )
    except ValueError as e:
        raise ConsistencyProofError(str(e)) from None
    # Step 7: fr == first_hash, sr == second_hash.
    if fr != first_root:
        raise ConsistencyProofError("proof does not reproduce the first root")
    if sr != second_root:
        raise ConsistencyProofError("proof does not reproduce the second root")


def is_valid_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Boolean form of ``verify_consistency``."""
    try:
        verify_consistency(first, second, first_root, second_root, proof)
    except ConsistencyProofError:
        return False
    return True
