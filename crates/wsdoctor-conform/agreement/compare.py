#!/usr/bin/env python3
"""Compare `wsdoctor conform --json` with Autobahn|Testsuite's index.json for one server.

Usage: compare.py AUTOBAHN_INDEX_JSON WSDOCTOR_JSON [--write EXPECTED_JSON]

Prints, over the cases both ran: how many have the same verdict (Autobahn's `behavior`), the
same close verdict (`behaviorClose`), whether the FAILED sets are equal, and every difference.
--write stores Autobahn's verdicts as the expectation file the live tests compare with
(crates/wsdoctor-conform/tests/expected/NAME.json). Exit 1 when agreement is below 98 % or the
FAILED sets differ."""
import json
import sys


def main():
    args = sys.argv[1:]
    write = None
    if "--write" in args:
        i = args.index("--write")
        write = args[i + 1]
        del args[i : i + 2]
    if len(args) != 2:
        print(__doc__)
        return 2
    index = json.load(open(args[0]))
    autobahn = {}
    for cases in index.values():  # one agent per report
        for cid, r in cases.items():
            autobahn[cid] = (r["behavior"], r["behaviorClose"])
    ours = {c["id"]: (c["verdict"], c["close_verdict"]) for c in json.load(open(args[1]))["cases"]}
    both = sorted(set(autobahn) & set(ours), key=lambda c: [int(x) for x in c.split(".")])
    same = [c for c in both if autobahn[c][0] == ours[c][0]]
    same_close = [c for c in both if autobahn[c][1] == ours[c][1]]
    failed_a = {c for c in both if autobahn[c][0] == "FAILED"}
    failed_o = {c for c in both if ours[c][0] == "FAILED"}
    pct = 100.0 * len(same) / max(len(both), 1)
    print("cases compared: %d (Autobahn only: %d, wsdoctor only: %d)"
          % (len(both), len(set(autobahn) - set(ours)), len(set(ours) - set(autobahn))))
    print("same verdict: %d/%d (%.1f %%); same close verdict: %d/%d"
          % (len(same), len(both), pct, len(same_close), len(both)))
    print("FAILED sets equal: %s (Autobahn %d, wsdoctor %d)" % (failed_a == failed_o, len(failed_a), len(failed_o)))
    for c in both:
        if autobahn[c] != ours[c]:
            print("  %s: Autobahn %s/%s, wsdoctor %s/%s" % (c, autobahn[c][0], autobahn[c][1], ours[c][0], ours[c][1]))
    if write:
        with open(write, "w") as f:
            f.write("{\n")
            f.write(",\n".join('  "%s": {"behavior": "%s", "behaviorClose": "%s"}' % (c, autobahn[c][0], autobahn[c][1])
                               for c in sorted(autobahn, key=lambda c: [int(x) for x in c.split(".")])))
            f.write("\n}\n")
        print("wrote %s" % write)
    return 0 if pct >= 98.0 and failed_a == failed_o else 1


if __name__ == "__main__":
    sys.exit(main())
