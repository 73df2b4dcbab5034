"""verify_receipt_proof: every honest proof of blocks of 0..100 receipts verifies (every
kind of result, with events; one page, several pages, partial last pages), and a proof
changed anywhere (any receipt field, page entry, page size, position, page index, path
element, header field, hash) or taken from another block is refused, always with one
InvalidProof line."""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from accord.client import InvalidProof, verify_receipt_proof
from accord.device import Device, DeviceConfig
from accord.node.proofs import receipt_proof
from tests.device.conftest import make_genesis
from tests.device.proof_contracts import Odd

KINDS = ("int", "dict", "list", "list_of_dict", "object", "tuple", "big")
SIZES = (*range(0, 10), 31, 32, 33, 64, 65, 100)


@cache
def chain() -> tuple[Device, dict[int, list[bytes]]]:
    """Blocks of 0..100 receipts: calls returning every kind of result, with events, a
    revert and plain transfers among them."""
    device = Device(
        DeviceConfig(block_gas_limit=10**9, receipts_roots=True), make_genesis(), seed=2
    )
    odd = device.deploy(device.account("alice"), Odd)
    blocks: dict[int, list[bytes]] = {}
    senders = ("alice", "bob", "carol", "dave")
    for size in SIZES:
        hashes = []
        for i in range(size):
            account = device.account(senders[i % 4])
            if i % 5 == 4:
                tx = device.sign(account, "bob", value={"ETH": 5})
            elif i % 7 == 6:
                tx = device.sign(account, odd, "quiet", "not an int")  # runs; returns it
            else:
                tx = device.sign(account, odd, "give", KINDS[(i + size) % len(KINDS)], i)
            hashes.append(device.submit(tx))
        block = device.build_block()
        assert len(block.receipts) == size
        blocks[block.number] = hashes
    return device, blocks


def proof_of(number: int, tx_hash: bytes) -> dict[str, Any]:
    device, _ = chain()
    block = device.blocks[number - device.blocks[0].number]
    found = receipt_proof(block, tx_hash)
    assert found is not None
    return found


@cache
def all_proofs() -> list[tuple[int, dict[str, Any]]]:
    """Every receipt's proof (cached: a test changes only copies of them)."""
    _, blocks = chain()
    return [(n, proof_of(n, h)) for n, hashes in blocks.items() for h in hashes]


def test_every_honest_proof_verifies() -> None:
    device, blocks = chain()
    seen_types = set()
    for number, proof in all_proofs():
        header = device.headers[number]
        # the JSON round trip a network would give it
        proof = json.loads(json.dumps(proof))
        proven = verify_receipt_proof(proof, header.hash)
        assert proven.header == header
        assert proven.index == 32 * proof["page_index"] + proof["position"]
        assert len(proof["page"]) == min(32, header.receipt_count - 32 * proof["page_index"])
        assert proof["page"][proof["position"]] == proof["receipt"]
        assert verify_receipt_proof(proof, header.hash.hex()).receipt == proven.receipt
        assert verify_receipt_proof(proof, trusted_header=header).index == proven.index
        real = device.receipt(proven.receipt.tx_hash)
        assert blocks[number][proven.index] == real.tx_hash
        assert proven.receipt[:5] == real[:5] and proven.receipt[7:] == real[7:]
        assert proven.receipt.events == real.events
        seen_types.add(proven.result_type)
        if proven.result_type == "":
            assert proven.receipt.result == _frozen(real.result)
    assert seen_types == {"", "dict", "list", "Opaque"}


def _frozen(value: object) -> object:
    return tuple(map(_frozen, value)) if isinstance(value, (list, tuple)) else value


def test_a_proof_against_another_blocks_hash_is_refused() -> None:
    device, blocks = chain()
    for number, proof in all_proofs():
        for other in blocks:
            if other != number:
                with pytest.raises(InvalidProof, match=r"^header: the header hashes to"):
                    verify_receipt_proof(proof, device.headers[other].hash)


def one_proof_a_block() -> list[tuple[int, dict[str, Any]]]:
    seen: dict[int, dict[str, Any]] = {}
    for number, proof in all_proofs():
        seen.setdefault(number, proof)
    return list(seen.items())


def test_a_receipt_or_page_with_another_blocks_header_and_path_is_refused() -> None:
    device, _ = chain()
    proofs = one_proof_a_block()
    for number, proof in proofs:
        for other_number, other in proofs:
            if other_number == number:
                continue
            forged = {**other, "receipt": proof["receipt"]}
            with pytest.raises(InvalidProof, match=r"^receipt\.tx_hash: differs from page"):
                verify_receipt_proof(forged, device.headers[other_number].hash)
            forged = {**other, "page": proof["page"], "receipt": proof["receipt"]}
            forged["position"] = proof["position"]
            with pytest.raises(InvalidProof, match=r"^page: "):
                verify_receipt_proof(forged, device.headers[other_number].hash)


def test_no_trusted_anchor_or_two_are_refused() -> None:
    device, _ = chain()
    number, proof = all_proofs()[0]
    with pytest.raises(InvalidProof, match=r"^trusted"):
        verify_receipt_proof(proof)
    header = device.headers[number]
    with pytest.raises(InvalidProof, match=r"^trusted"):
        verify_receipt_proof(proof, header.hash, trusted_header=header)
    for bad in ("zz" * 32, "ab", 5, b"short"):
        with pytest.raises(InvalidProof, match=r"^trusted_block_hash"):
            verify_receipt_proof(proof, bad)  # type: ignore[arg-type]


# -- hostile changes ---------------------------------------------------------------------
def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(_paths(v, (*prefix, i)))
    return out


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


def _set(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    _get(value, path[:-1])[path[-1]] = new
    return value


HEX = "0123456789abcdef"


def _mutations(old: Any, data: st.DataObject) -> Any:
    """One hostile replacement for ``old``."""
    if isinstance(old, str):
        if old and all(c in HEX for c in old):  # a hex digit changed (never only its case)
            i = data.draw(st.integers(0, len(old) - 1))
            digit = data.draw(st.sampled_from([c for c in HEX if c != old[i]]))
            choice = data.draw(st.sampled_from(["digit", "cut", "longer", "other"]))
            if choice == "digit":
                return old[:i] + digit + old[i + 1 :]
            if choice == "cut":
                return old[:-2]
            if choice == "longer":
                return old + "00"
        return data.draw(
            st.sampled_from([old + "x", old[:-1], "", None, 0, [old], {"$bytes": "00"}, True])
        )
    if type(old) is bool or old is None:
        return data.draw(st.sampled_from([not old, 0, 1, "", None, []]))
    if isinstance(old, int):
        return data.draw(
            st.sampled_from([old + 1, old - 1, -old - 1, old * 2 + 1, float(old), str(old), True])
        )
    if isinstance(old, list):
        choice = data.draw(st.sampled_from(["drop", "dup", "add", "reverse", "other"]))
        if choice == "drop" and old:
            i = data.draw(st.integers(0, len(old) - 1))
            return old[:i] + old[i + 1 :]
        if choice == "dup" and old:
            return [*old, old[-1]]
        if choice == "add":
            return [*old, data.draw(st.sampled_from(["00" * 32, 0, None, ["k", 1]]))]
        if choice == "reverse" and len(old) > 1:
            return old[::-1]
        return {"list": old}
    assert isinstance(old, dict)
    choice = data.draw(st.sampled_from(["drop", "add", "other"]))
    if choice == "drop" and old:
        key = data.draw(st.sampled_from(sorted(old)))
        return {k: v for k, v in old.items() if k != key}
    if choice == "add":
        return {**old, "extra": 1}
    return [old]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_change_anywhere_is_refused(data: st.DataObject) -> None:
    device, _ = chain()
    proofs = all_proofs()
    number, proof = data.draw(st.sampled_from(proofs))
    paths = _paths(proof)
    path = data.draw(st.sampled_from(paths))
    tampered = _set(copy.deepcopy(proof), path, _mutations(_get(proof, path), data))
    assume(json.dumps(tampered, sort_keys=True) != json.dumps(proof, sort_keys=True))
    with pytest.raises(InvalidProof) as refused:
        verify_receipt_proof(tampered, device.headers[number].hash)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("field", ["tx_hash", "status", "gas_used", "fee_paid", "tip_paid"])
def test_each_receipt_field_is_bound(field: str) -> None:
    device, _ = chain()
    number, proof = all_proofs()[3]
    for where in ("receipt", "page"):  # the claim, or the claim and its page entry both
        tampered = copy.deepcopy(proof)
        old = tampered["receipt"][field]
        new = {
            "tx_hash": "00" * 32,
            "status": "reverted" if old != "reverted" else "success",
        }.get(field, old + 1 if isinstance(old, int) else old)
        tampered["receipt"][field] = new
        if where == "page":
            tampered["page"][proof["position"]][field] = new
            expected = r"^page: .*another root"
        else:
            expected = rf"^receipt\.{field}: differs from page\[{proof['position']}\]\.{field}$"
        with pytest.raises(InvalidProof, match=expected):
            verify_receipt_proof(tampered, device.headers[number].hash)


def test_a_result_is_compared_by_its_encoding() -> None:
    """``True == 1`` in Python: a claimed result True against the page's 1 is refused."""
    device, _ = chain()
    found = [
        (n, p)
        for n, p in all_proofs()
        if p["receipt"]["result"] == 1 and type(p["receipt"]["result"]) is int
    ]
    assert found
    for number, proof in found:
        tampered = copy.deepcopy(proof)
        tampered["receipt"]["result"] = True
        with pytest.raises(InvalidProof, match=r"^receipt\.result: differs"):
            verify_receipt_proof(tampered, device.headers[number].hash)


def test_the_position_and_page_index_are_bound() -> None:
    device, _ = chain()
    for number, proof in all_proofs()[::5]:
        trusted = device.headers[number].hash
        count = proof["header"]["receipt_count"]
        pages = -(-count // 32)
        size = len(proof["page"])
        for position in range(size):
            if position != proof["position"]:
                with pytest.raises(InvalidProof, match=r"^receipt\.tx_hash: differs"):
                    verify_receipt_proof({**proof, "position": position}, trusted)
        for bad in (size, -1, True, "0", None):
            with pytest.raises(InvalidProof, match=r"^position: "):
                verify_receipt_proof({**proof, "position": bad}, trusted)
        for page_index in range(pages):
            if page_index != proof["page_index"]:
                with pytest.raises(InvalidProof, match=r"^(page|path): "):
                    verify_receipt_proof({**proof, "page_index": page_index}, trusted)
        for bad in (pages, -1, True, 0.0, None):
            with pytest.raises(InvalidProof, match=r"^page_index: "):
                verify_receipt_proof({**proof, "page_index": bad}, trusted)


def test_a_page_of_another_size_is_refused() -> None:
    """A page must hold exactly what receipt_count gives its index: 32, or the rest."""
    device, _ = chain()
    for number, proof in all_proofs()[::3]:
        trusted = device.headers[number].hash
        page = proof["page"]
        for other in (page[:-1], [*page, page[-1]], [*page, *page], [], page[:1]):
            if len(other) != len(page):
                with pytest.raises(InvalidProof, match=r"^page: page \d+ of a block of \d+ "):
                    verify_receipt_proof({**proof, "page": other}, trusted)
        for bad in (None, {"0": page[0]}, "page", 3):
            with pytest.raises(InvalidProof, match=r"^page: "):
                verify_receipt_proof({**proof, "page": bad}, trusted)
