#!/usr/bin/env python3
"""Merge `wsdoctor bench --hdr-log` files (HdrHistogram interval logs) from several
shards or machines into one set of percentiles, with the standard Python HdrHistogram
port (`pip install hdrhistogram`, module `hdrh`). Java's HistogramLogProcessor reads
the same files; this script is the shortest path on a machine with Python.

    merge-hdr-logs.py shard-0.hlog shard-1.hlog …          # a table per tag
    merge-hdr-logs.py --json shard-*.hlog                    # one JSON object

Every histogram of the same tag (`raw`, `corrected`) in every file is added; values
are microseconds. Nothing here is wsdoctor's: the files are the standard format.
"""
import json
import sys

from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader

# The same range and precision wsdoctor records with: 1 µs to 1 h, 3 digits.
LOWEST, HIGHEST, DIGITS = 1, 3_600_000_000, 3
PERCENTILES = [50, 90, 99, 99.9]


def merge(paths):
    merged = {}
    for path in paths:
        reader = HistogramLogReader(path, HdrHistogram(LOWEST, HIGHEST, DIGITS))
        while True:
            h = reader.get_next_interval_histogram()
            if h is None:
                break
            tag = h.get_tag() or "raw"
            merged.setdefault(tag, HdrHistogram(LOWEST, HIGHEST, DIGITS)).add(h)
        reader.close()
    return merged


def summary(h):
    out = {"count": h.get_total_count(), "max": h.get_max_value()}
    for p in PERCENTILES:
        out["p" + str(p).replace(".", "")] = h.get_value_at_percentile(p)
    return out


def main(argv):
    as_json = "--json" in argv
    paths = [a for a in argv if a != "--json"]
    if not paths:
        print(__doc__, file=sys.stderr)
        return 2
    merged = {tag: summary(h) for tag, h in sorted(merge(paths).items())}
    if as_json:
        print(json.dumps({"files": len(paths), "latency_us": merged}))
        return 0
    for tag, s in merged.items():
        cells = " · ".join(f"{k} {v} µs" for k, v in s.items() if k != "count")
        print(f"{tag}: {s['count']} samples · {cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
