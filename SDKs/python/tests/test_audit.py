"""agion.audit: proofs from the real services, verified offline with the pinned keys only."""

from __future__ import annotations

import base64
import hashlib

import pytest

from agion.audit import (
    AuditVerificationError,
    verify_consistency_proof,
    verify_inclusion,
    verify_inclusion_proof,
)
from conftest import Tenant, eventually, http


def _check(tenant: Tenant, action: str) -> str:
    status, decision = http("POST", "/v1/governance/check", tenant.admin_key, {"agent_id": "charts:writer", "action": action, "context": {"rows": 1}})
    assert status == 200, decision
    return decision["decision_id"]


async def _head_of_at_least(tenant: Tenant, size: int) -> dict:
    def latest() -> dict | None:
        status, head = http("GET", "/v1/audit/head", tenant.admin_key)
        return head if status == 200 and int(head["tree_size"]) >= size else None
    return await eventually(f"a signed head over {size} records", latest, timeout=20)


async def test_inclusion_and_consistency_proofs_verify_and_tampering_does_not(tenant: Tenant) -> None:
    tenant.register("charts", ["writer"])
    # register() audits probe checks too; everything after them is ours.
    ids = [_check(tenant, f"reports.step{i}") for i in range(25)]
    status, keys = http("GET", "/v1/audit/keys", tenant.admin_key)
    assert status == 200, keys
    pinned = {key["key_id"]: key["public_key"] for key in keys["keys"]}
    older = await _head_of_at_least(tenant, 25)

    for decision_id in (ids[0], ids[13], ids[-1]):
        status, proof = http("GET", f"/v1/decisions/{decision_id}/proof", tenant.admin_key)
        assert status == 200, proof
        head = verify_inclusion_proof(proof, pinned)
        assert head["tenant"] == tenant.name
        # The leaf is the record as decided: its id is in it.
        assert decision_id.encode() in base64.b64decode(proof["leaf"])

        forged = dict(proof, leaf=base64.b64encode(base64.b64decode(proof["leaf"]) + b"\x00").decode())
        with pytest.raises(AuditVerificationError):
            verify_inclusion_proof(forged, pinned)
        if proof.get("audit_path"):
            bent = dict(proof, audit_path=[hashlib.sha256(b"x").hexdigest()] + proof["audit_path"][1:])
            with pytest.raises(AuditVerificationError):
                verify_inclusion_proof(bent, pinned)
        with pytest.raises(AuditVerificationError, match="not among the keys"):
            verify_inclusion_proof(proof, {"0011223344556677": "01" * 32})

    for i in range(10):
        _check(tenant, f"reports.more{i}")
    newer = await _head_of_at_least(tenant, int(older["tree_size"]) + 10)
    status, consistency = http("GET", f"/v1/audit/consistency?from={older['tree_size']}&to={newer['tree_size']}", tenant.admin_key)
    assert status == 200, consistency
    verify_consistency_proof(consistency, older, newer, pinned)

    # A head at the kept size with another root (a fork) does not extend: its
    # signature fails first; with the signature ignored, the proof fails too.
    forked = dict(older, root_hash=hashlib.sha256(b"fork").hexdigest())
    with pytest.raises(AuditVerificationError):
        verify_consistency_proof(consistency, forked, newer, pinned)
    from agion.audit import verify_consistency
    assert not verify_consistency(int(older["tree_size"]), int(newer["tree_size"]), bytes.fromhex(forked["root_hash"]),
                                  bytes.fromhex(newer["root_hash"]), [bytes.fromhex(p) for p in consistency.get("proof", [])])


def test_bad_proof_requests_get_problems(tenant: Tenant) -> None:
    status, problem = http("GET", "/v1/decisions/no-such-decision/proof", tenant.admin_key)
    assert status == 404 and "no-such-decision" in problem["detail"]
    status, problem = http("GET", "/v1/audit/consistency?from=9&to=3", tenant.admin_key)
    assert status == 400 and problem.get("field") == "from", problem


def test_the_rfc_verifier_rejects_what_the_rfc_rejects() -> None:
    # Two leaves: root = H(1 || H(0||a) || H(0||b)).
    a, b = hashlib.sha256(b"\x00a").digest(), hashlib.sha256(b"\x00b").digest()
    root = hashlib.sha256(b"\x01" + a + b).digest()
    assert verify_inclusion(a, 0, 2, [b], root)
    assert verify_inclusion(b, 1, 2, [a], root)
    assert not verify_inclusion(a, 1, 2, [b], root)  # wrong position (a reordered pair)
    assert not verify_inclusion(a, 0, 3, [b], root)  # wrong size
    assert not verify_inclusion(a, 2, 2, [b], root)  # index past the tree
