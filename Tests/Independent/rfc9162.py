#!/usr/bin/env python3
"""An independent implementation of RFC 9162 section 2.1 (Merkle trees,
inclusion and consistency proofs), written from the RFC's text, to check what
Agion's Swift implementation computes (Tests/GovernanceCoreTests/MerkleTreeTests).

Reads JSON on stdin: {"leaves": [hex], "cases": [...]}, each case either
{"kind": "root", "size", "root"}, {"kind": "inclusion", "index", "size", "path", "root"}
or {"kind": "consistency", "first", "second", "proof", "first_root", "second_root"}
(hashes as hex). Recomputes each from the leaves by the RFC's definitions,
runs the RFC's verification algorithms on what Swift gave, and prints one
line per disagreement, then "checked N cases". Exit code 1 on any disagreement.
"""
import hashlib
import json
import sys


def h(data):
    return hashlib.sha256(data).digest()


def largest_power_of_two_below(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d):
    if len(d) == 0:
        return h(b"")
    if len(d) == 1:
        return h(b"\x00" + d[0])
    k = largest_power_of_two_below(len(d))
    return h(b"\x01" + mth(d[:k]) + mth(d[k:]))


def path(m, d):
    if len(d) <= 1:
        return []
    k = largest_power_of_two_below(len(d))
    if m < k:
        return path(m, d[:k]) + [mth(d[k:])]
    return path(m - k, d[k:]) + [mth(d[:k])]


def subproof(m, d, b):
    if m == len(d):
        return [] if b else [mth(d)]
    k = largest_power_of_two_below(len(d))
    if m <= k:
        return subproof(m, d[:k], b) + [mth(d[k:])]
    return subproof(m - k, d[k:], False) + [mth(d[:k])]


def verify_inclusion(leaf_hash, index, size, inclusion_path, root):
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in inclusion_path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = h(b"\x01" + p + r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = h(b"\x01" + r + p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_hash, second_hash, consistency_path):
    if first == second:
        return len(consistency_path) == 0 and first_hash == second_hash
    if not consistency_path:
        return False
    if first & (first - 1) == 0:
        consistency_path = [first_hash] + consistency_path
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = consistency_path[0]
    for c in consistency_path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = h(b"\x01" + c + fr)
            sr = h(b"\x01" + c + sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = h(b"\x01" + sr + c)
        fn >>= 1
        sn >>= 1
    return fr == first_hash and sr == second_hash and sn == 0


def main():
    document = json.load(sys.stdin)
    leaves = [bytes.fromhex(x) for x in document["leaves"]]
    problems = []
    for case in document["cases"]:
        kind = case["kind"]
        if kind == "root":
            if bytes.fromhex(case["root"]) != mth(leaves[:case["size"]]):
                problems.append(f"root of {case['size']} differs")
        elif kind == "inclusion":
            index, size = case["index"], case["size"]
            given = [bytes.fromhex(x) for x in case["path"]]
            d = leaves[:size]
            if given != path(index, d):
                problems.append(f"PATH({index}, D[{size}]) differs")
            if not verify_inclusion(h(b"\x00" + leaves[index]), index, size, given, mth(d)):
                problems.append(f"PATH({index}, D[{size}]) does not verify")
        elif kind == "consistency":
            first, second = case["first"], case["second"]
            given = [bytes.fromhex(x) for x in case["proof"]]
            if given != subproof(first, leaves[:second], True):
                problems.append(f"PROOF({first}, D[{second}]) differs")
            if not verify_consistency(first, second, mth(leaves[:first]), mth(leaves[:second]), given):
                problems.append(f"PROOF({first}, D[{second}]) does not verify")
        else:
            problems.append(f"unknown case {kind}")
    for problem in problems:
        print(problem)
    print(f"checked {len(document['cases'])} cases")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
