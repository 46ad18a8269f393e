"""Offline verification of Agion's audit proofs (docs/governance.md).

Trusts nothing the server says beyond the Ed25519 public key you pinned: a
proof fetched from ``GET /v1/decisions/{id}/proof`` or
``GET /v1/audit/consistency`` is checked here with RFC 9162's algorithms and
the tree head's signature, with no network access.

    from agion.audit import verify_inclusion_proof, verify_consistency_proof

    verify_inclusion_proof(proof_json, public_keys={"3f2a...": "9b0c..."})
    verify_consistency_proof(proof_json, old_head, new_head, public_keys=...)

Each raises ``AuditVerificationError`` saying what does not hold, and returns
the signed head the proof was checked against.
"""
from __future__ import annotations

import base64
import hashlib
import struct
from typing import Any, Mapping

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

HEAD_LABEL = b"agion-audit-tree-head-v1"


class AuditVerificationError(Exception):
    """A proof, a head or a signature does not hold."""


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(leaf_digest: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_digest
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = _node(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = _node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, proof: list[bytes]) -> bool:
    """RFC 9162 section 2.1.4.2."""
    if first > second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = _node(c, fr)
            sr = _node(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = _node(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


def head_signed_bytes(head: Mapping[str, Any]) -> bytes:
    """What a tree head's Ed25519 signature covers."""
    return (HEAD_LABEL + b"\x00" + _get(head, "tenant").encode() + b"\x00"
            + struct.pack(">QQ", int(_get(head, "tree_size")), int(_get(head, "timestamp_unix_millis")))
            + _hex(_get(head, "root_hash")))


def verify_tree_head(head: Mapping[str, Any], public_keys: Mapping[str, str]) -> None:
    """Checks the head's signature with the pinned key it names (key id -> hex public key)."""
    key_id = _get(head, "key_id")
    if key_id not in public_keys:
        raise AuditVerificationError(f"the head is signed by key {key_id}, which is not among the keys you trust")
    public_key = _hex(public_keys[key_id])
    if hashlib.sha256(public_key).digest()[:8].hex() != key_id:
        raise AuditVerificationError(f"the public key given for {key_id} does not have that id")
    try:
        VerifyKey(public_key).verify(head_signed_bytes(head), _hex(_get(head, "signature")))
    except BadSignatureError as error:
        raise AuditVerificationError("the tree head's signature does not verify") from error


def verify_inclusion_proof(proof: Mapping[str, Any], public_keys: Mapping[str, str]) -> Mapping[str, Any]:
    """Checks a decision's inclusion proof (the JSON of GET /v1/decisions/{id}/proof)
    and the signed head it is proven against; returns that head."""
    head = _get(proof, "tree_head")
    verify_tree_head(head, public_keys)
    leaf = base64.b64decode(_get(proof, "leaf"))
    digest = leaf_hash(leaf)
    if digest != _hex(_get(proof, "leaf_hash")):
        raise AuditVerificationError("leaf_hash is not the hash of the leaf")
    size, root = int(_get(head, "tree_size")), _hex(_get(head, "root_hash"))
    if int(_get(proof, "tree_size")) != size or _hex(_get(proof, "root_hash")) != root:
        raise AuditVerificationError("the proof is for another tree than its signed head")
    path = [_hex(p) for p in proof.get("audit_path", [])]
    if not verify_inclusion(digest, int(proof.get("leaf_index", 0)), size, path, root):
        raise AuditVerificationError("the audit path does not lead from the leaf to the signed root")
    return head


def verify_consistency_proof(proof: Mapping[str, Any], old_head: Mapping[str, Any], new_head: Mapping[str, Any],
                             public_keys: Mapping[str, str]) -> None:
    """Checks that ``new_head`` extends ``old_head`` (both heads you kept, both
    signed), with a proof from GET /v1/audit/consistency?from=&to=."""
    verify_tree_head(old_head, public_keys)
    verify_tree_head(new_head, public_keys)
    if _get(old_head, "tenant") != _get(new_head, "tenant"):
        raise AuditVerificationError("the heads are of different tenants")
    first, second = int(_get(old_head, "tree_size")), int(_get(new_head, "tree_size"))
    if int(proof.get("from", 0)) != first or int(proof.get("to", 0)) != second:
        raise AuditVerificationError(f"the proof is from {proof.get('from', 0)} to {proof.get('to', 0)}, not {first} to {second}")
    if not verify_consistency(first, second, _hex(_get(old_head, "root_hash")), _hex(_get(new_head, "root_hash")),
                              [_hex(p) for p in proof.get("proof", [])]):
        raise AuditVerificationError("the newer head does not extend the older one: the log was rewritten (a fork)")


def _get(mapping: Mapping[str, Any], key: str) -> Any:
    if key not in mapping:
        raise AuditVerificationError(f"{key} is missing")
    return mapping[key]


def _hex(text: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError as error:
        raise AuditVerificationError(f"not hex: {text!r}") from error
