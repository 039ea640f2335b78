#!/usr/bin/env python3
"""Compare Autobahn|Testsuite reports with the committed expectations.

Usage: compare.py MODE SERVER_INDEX EXPECTED_SERVER CLIENT_INDEX EXPECTED_CLIENT [--update]

Expectation files map case id -> {"behavior": ..., "behaviorClose": ...}. In MODE "quick" the
cases 9.*, 12.* and 13.* are not expected to be present. Prints the counts per behaviour for each
role, every difference, and a last line "N passed, M failed" (cases matching / not matching).
Exit 1 on any difference. --update writes the observed results into the expectation files
(merged, so cases outside this run keep their expectation) and exits 0."""
import collections, json, os, sys

QUICK_EXCLUDED = ("9", "12", "13")


def key(cid):
    return tuple(int(x) for x in cid.split("."))


def observed(index_path):
    with open(index_path) as f:
        idx = json.load(f)
    out = {}
    for cases in idx.values():  # one agent per report
        for cid, r in cases.items():
            out[cid] = {"behavior": r.get("behavior"), "behaviorClose": r.get("behaviorClose")}
    return out


def in_mode(cid, mode):
    return mode == "full" or cid.split(".")[0] not in QUICK_EXCLUDED


def compare(role, mode, got, expected_path, update):
    expected = {}
    if os.path.exists(expected_path):
        with open(expected_path) as f:
            expected = json.load(f)
    counts = collections.Counter(r["behavior"] for r in got.values())
    print("%s role: %s (total %d)" % (role, ", ".join("%d %s" % (n, b) for b, n in sorted(counts.items())), len(got)))
    if update:
        expected.update(got)
        write_expected(expected_path, expected)
        print("  updated %s" % expected_path)
        return len(got), 0
    passed, failed = 0, 0
    wanted = {c for c in expected if in_mode(c, mode)}
    for cid in sorted(wanted | set(got), key=key):
        exp, obs = expected.get(cid), got.get(cid)
        if exp == obs:
            passed += 1
            continue
        failed += 1
        if obs is None:
            print("  %s %s: expected %s/%s, case did not run" % (role, cid, exp["behavior"], exp["behaviorClose"]))
        elif exp is None:
            print("  %s %s: got %s/%s, no expectation recorded" % (role, cid, obs["behavior"], obs["behaviorClose"]))
        else:
            print("  %s %s: expected %s/%s, got %s/%s" % (
                role, cid, exp["behavior"], exp["behaviorClose"], obs["behavior"], obs["behaviorClose"]))
    return passed, failed


def write_expected(path, expected):
    """One case per line, in case order, so diffs of the file read like the report."""
    lines = ["  %s: %s" % (json.dumps(cid), json.dumps(expected[cid], sort_keys=True))
             for cid in sorted(expected, key=key)]
    with open(path, "w") as f:
        f.write("{\n" + ",\n".join(lines) + "\n}\n")


def main(argv):
    if len(argv) < 5:
        print(__doc__)
        return 2
    mode, update = argv[0], "--update" in argv
    p1, f1 = compare("server", mode, observed(argv[1]), argv[2], update)
    p2, f2 = compare("client", mode, observed(argv[3]), argv[4], update)
    print("%d passed, %d failed" % (p1 + p2, f1 + f2))
    return 1 if f1 + f2 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
