"""Generates HAR exports (streamed to disk, one entry per request: a mix of upgraded
WebSockets, 502s from a proxy, 403s and ordinary 200s with headers) and the same
requests as an nginx access log, then times `wsdoctor logs --json` on each and
`wsdoctor explain -` on the largest HAR."""
import os, re, subprocess, sys, time

BIN, WORK, BIG = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(WORK, exist_ok=True)
SIZES = sorted({max(BIG // 100, 1), max(BIG // 10, 1), BIG})


def entry(i):
    kind = i % 10
    if kind < 3:
        url, status = f"wss://app.example.com/ws/chat?room={i % 97}", 101
    elif kind < 5:
        url, status = f"wss://app.example.com/socket.io/?EIO=4&transport=websocket&sid={i:x}", 502
    elif kind == 5:
        url, status = "wss://app.example.com/ws/admin", 403
    else:
        url, status = f"https://app.example.com/api/items/{i}", 200
    return ('{"startedDateTime":"2026-01-01T00:%02d:%02d.000Z","time":%d,'
            '"request":{"method":"GET","url":"%s","headers":[{"name":"Cookie","value":"sid=s%d"}%s]},'
            '"response":{"status":%d,"statusText":"","headers":[{"name":"Server","value":"nginx"}]}}'
            % (i // 60 % 60, i % 60, 5 + i % 50, url, i,
               ',{"name":"Upgrade","value":"websocket"}' if url.startswith("wss") else "", status))


def har(n):
    p = os.path.join(WORK, f"entries-{n}.har")
    if not os.path.exists(p):
        with open(p + ".tmp", "w") as f:
            f.write('{"log":{"version":"1.2","creator":{"name":"bench","version":"1"},"entries":[\n')
            for i in range(n):
                f.write(entry(i))
                f.write(",\n" if i + 1 < n else "\n")
            f.write("]}}\n")
        os.rename(p + ".tmp", p)
    return p


def nginx(n):
    p = os.path.join(WORK, f"access-{n}.log")
    if not os.path.exists(p):
        statuses = [101, 101, 101, 502, 502, 403, 200, 200, 200, 200]
        with open(p + ".tmp", "w") as f:
            for i in range(n):
                s = statuses[i % 10]
                path = "/ws/chat" if s in (101, 403) else "/socket.io/?EIO=4&transport=websocket" if s == 502 else f"/api/items/{i}"
                f.write(f'10.0.0.{i % 250} - - [01/Jan/2026:00:{i // 60 % 60:02d}:{i % 60:02d} +0000] "GET {path} HTTP/1.1" {s} 0 "-" "bench" {(5 + i % 50) / 1000:.3f}\n')
        os.rename(p + ".tmp", p)
    return p


def measure(argv, stdin=None):
    tfile = os.path.join(WORK, "time.txt")
    start = time.time()
    with open(stdin, "rb") if stdin else open(os.devnull, "rb") as inp:
        p = subprocess.run(["/usr/bin/time", "-v", "-o", tfile, BIN] + argv, stdin=inp,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.time() - start
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(tfile).read())
    return wall, int(m.group(1)) / 1024 if m else 0.0, p.returncode


def main():
    rows = []
    for n in SIZES:
        rows.append(("logs", "HAR", n, har(n), ["logs", "--json", har(n)], None))
    rows.append(("logs", "nginx access", BIG, nginx(BIG), ["logs", "--json", nginx(BIG)], None))
    rows.append(("explain", "HAR on stdin", BIG, har(BIG), ["explain", "-", "--json"], har(BIG)))
    print(f"{'command':8} {'input':13} {'entries':>9} {'MB':>7} {'wall s':>7} {'MB/s':>7} {'µs/entry':>9} {'peak RSS':>9} exit")
    for cmd, what, n, path, argv, stdin in rows:
        mb = os.path.getsize(path) / 1e6
        wall, rss, code = measure(argv, stdin)
        print(f"{cmd:8} {what:13} {n:9} {mb:7.1f} {wall:7.2f} {mb / wall:7.1f} {wall / n * 1e6:9.2f} {rss:6.1f} MiB {code}", flush=True)


main()
