"""The hostile sweep's driver: hostile loopback servers (threads, 127.0.0.1:0, each
connection bounded in time) and hostile input files, each run of wsdoctor under
/usr/bin/time -v with a deadline. Planted secrets all contain "PLANT" so one grep
finds any that was printed."""
import gzip, json, os, re, signal, socket, struct, subprocess, sys, threading, time

BIN, WORK = sys.argv[1], sys.argv[2]
os.makedirs(WORK, exist_ok=True)
GRACE = 3.0
RSS_GOAL = {"check": 64, "explain": 64, "lab": 64, "lint": 256, "logs": 256}
SECRET = re.compile(rb"PLANT[0-9a-z]*")
results = []  # (command, name, ok_deadline, rss_kib, secrets, wall, code)


def serve(handler):
    """A server on 127.0.0.1:0 running handler(conn, head) per connection."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(64)

    def one(c):
        c.settimeout(10)
        try:
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                d = c.recv(4096)
                if not d:
                    break
                head += d
            handler(c, head)
        except Exception:
            pass
        finally:
            c.close()

    def loop():
        while True:
            c, _ = s.accept()
            threading.Thread(target=one, args=(c,), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()
    return s.getsockname()[1]


def accept_key(head):
    import base64, hashlib
    m = re.search(rb"(?i)sec-websocket-key:\s*(\S+)", head)
    k = m.group(1) if m else b""
    return base64.b64encode(hashlib.sha1(k + b"258EAFA5-E914-47DA-95CA-C5AB0DC11B65").digest())


def upgrade(c, head, extra=b""):
    c.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Accept: " + accept_key(head) + b"\r\n" + extra + b"\r\n")


def frame(op, payload=b""):
    n = len(payload)
    if n < 126:
        return bytes([0x80 | op, n]) + payload
    if n < 65536:
        return bytes([0x80 | op, 126]) + struct.pack(">H", n) + payload
    return bytes([0x80 | op, 127]) + struct.pack(">Q", n) + payload


def flood(c, data, seconds):
    end = time.time() + seconds
    while time.time() < end:
        c.sendall(data)


def h_ping_flood(c, head):
    upgrade(c, head)
    time.sleep(1.0)  # a quiet start, then pings as fast as the socket takes them
    flood(c, frame(9, b"p" * 100) * 100, 8)


def h_msg_flood(c, head):
    upgrade(c, head)
    time.sleep(1.0)
    flood(c, frame(1, b"m" * 1000) * 50, 8)


def h_echo_then_flood(c, head):
    # answers the probe's echo, then floods every connection (the --concurrency load)
    upgrade(c, head)
    flood(c, frame(2, b"x" * 60000) * 4, 8)


def h_huge_frame(c, head):
    upgrade(c, head)
    c.sendall(bytes([0x82, 127]) + struct.pack(">Q", 2 ** 63 - 1))
    flood(c, b"\0" * 65536, 8)


def h_endless_fragments(c, head):
    upgrade(c, head)
    c.sendall(bytes([0x01, 4]) + b"frag")
    flood(c, bytes([0x00, 4]) + b"frag" * 1 + (bytes([0x00, 4]) + b"frag") * 2000, 8)


def h_endless_head(c, head):
    c.sendall(b"HTTP/1.1 101 Switching Protocols\r\n")
    flood(c, b"X-Pad: " + b"a" * 1000 + b"\r\n", 8)


def h_drip(c, head):
    for b in b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n":
        c.sendall(bytes([b]))
        time.sleep(0.5)


def h_silent(c, head):
    time.sleep(8)


def h_secrets(c, head):
    c.sendall(b"HTTP/1.1 302 Found \x1b]0;title\x07\r\n"
              b"Location: wss://admin:PLANTloc1@127.0.0.1:1/cb?code=PLANTloc2#access_token=PLANTloc3\r\n"
              b"Set-Cookie: sid=PLANTcookie; Path=/\r\n"
              b"X-Amz-Security-Token: PLANTamz\r\n"
              b"WWW-Authenticate: Bearer realm=x\r\nContent-Length: 0\r\n\r\n")


def h_garbage_proxy(c, head):
    c.sendall(b"\x00\x01garbage not http\r\n\r\n")
    time.sleep(1)


def h_cap_refuse(c, head):
    c.sendall(b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n")


def stop_child(time_pid):
    """SIGTERM to wsdoctor, the child of /usr/bin/time (so time still reports its
    RSS); to the whole group if the child cannot be found."""
    try:
        with open(f"/proc/{time_pid}/task/{time_pid}/children") as fh:
            kids = [int(k) for k in fh.read().split()]
        for k in kids:
            os.kill(k, signal.SIGTERM)
        if not kids:
            os.killpg(time_pid, signal.SIGTERM)
    except (OSError, ValueError):
        pass


def run(command, name, argv, deadline, stdin=None, env=None, kill_after=None):
    """Runs wsdoctor argv under /usr/bin/time -v; kill_after: SIGTERM after that many
    seconds (a served lab). Records the result. ONLY=lab,check runs those commands only."""
    only = os.environ.get("ONLY")
    if only and command not in only.split(","):
        return
    tfile = os.path.join(WORK, "time.txt")
    start = time.time()
    p = subprocess.Popen(["/usr/bin/time", "-v", "-o", tfile, BIN] + argv,
                         stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=dict(os.environ, NO_COLOR="1", **(env or {})), start_new_session=True)
    if kill_after is not None:
        threading.Timer(kill_after, stop_child, args=(p.pid,)).start()
    try:
        out, err = p.communicate(stdin, timeout=deadline + GRACE + 2)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)  # time and wsdoctor, its child
        out, err = p.communicate()
    wall = time.time() - start
    rss = 0
    try:
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(tfile).read())
        rss = int(m.group(1)) if m else 0
    except OSError:
        pass
    found = sorted(set(SECRET.findall(out + err)))
    # The child's own user-visible exit code (time -v passes it on).
    results.append((command, name, wall <= deadline + GRACE, rss, found, wall, p.returncode))
    print(f"  {command:7} {name:45.45} {wall:5.1f} s {rss/1024:7.1f} MiB exit {p.returncode} {b' '.join(found).decode()}",
          file=sys.stderr, flush=True)


def main():
    P = {n: serve(h) for n, h in [
        ("ping_flood", h_ping_flood), ("msg_flood", h_msg_flood), ("load_flood", h_echo_then_flood),
        ("huge_frame", h_huge_frame), ("fragments", h_endless_fragments), ("endless_head", h_endless_head),
        ("drip", h_drip), ("silent", h_silent), ("secrets", h_secrets), ("garbage_proxy", h_garbage_proxy),
        ("cap", h_cap_refuse)]}
    u = lambda n, path="/": f"ws://127.0.0.1:{P[n]}{path}"
    T = "3"
    secret_flags = ["-H", "Authorization: Bearer PLANTbearer", "-H", "Cookie: a=PLANTc1; b=PLANTc2",
                    "-H", "X-Amz-Security-Token: PLANTxamz",
                    "--subprotocol", "base64url.bearer.authorization.k8s.io.PLANTk8s"]
    check = [
        ("ping flood during --idle", [u("ping_flood"), "--idle", "4"], 3 + 4),
        ("message flood during --idle", [u("msg_flood"), "--idle", "4"], 3 + 4),
        ("--concurrency 50 against a flooding server", [u("load_flood"), "--concurrency", "50"], 3 + 10),
        ("2^63-byte frame", [u("huge_frame")], 3),
        ("endless fragments", [u("fragments")], 3),
        ("endless response head", [u("endless_head")], 3),
        ("head dripped a byte per 0.5 s", [u("drip")], 3),
        ("silent server", [u("silent")], 3),
        ("secrets echoed in a redirect", [u("secrets", "/ws?accessToken=PLANTq1&id_token=PLANTq2")] + secret_flags, 3),
        ("secrets echoed, -v", [u("secrets"), "-v"] + secret_flags, 3),
        ("secrets echoed, --json", [u("secrets"), "--json"] + secret_flags, 3),
        ("userinfo with a backslash", ["ws://bob:PLANT\\bs@127.0.0.1:%d/" % P["secrets"], "-v"], 3),
        ("garbage from the proxy", [u("secrets"), "--proxy", f"http://127.0.0.1:{P['garbage_proxy']}"], 3),
        ("server refusing with 503 (a cap)", [u("cap")], 3),
        ("--timeout 1e19", [u("silent"), "--timeout", "1e19"], 1),
        ("--timeout nan", [u("silent"), "--timeout", "nan"], 1),
        ("port 0", ["ws://127.0.0.1:0/"], 1),
        ("10,000-character host", ["ws://" + "a" * 10000 + "/"], 1),
        ("-6 with an IPv4 literal", [u("silent"), "-6"], 1),
        ("CR/LF in --origin", [u("silent"), "--origin", "a\r\nX: PLANTcrlf"], 1),
        ("malformed -H with a secret", [u("silent"), "-H", "Authorization Bearer PLANTbadh"], 1),
        ("unsupported --proxy scheme", [u("silent"), "--proxy", "ftp://x:1"], 1),
    ]
    for name, argv, dl in check:
        extra = [] if "--timeout" in argv else ["--timeout", T]
        run("check", name, ["check"] + argv + extra, dl)

    d = os.path.join(WORK, "inputs")
    os.makedirs(d, exist_ok=True)
    def f(name, data, mode="wb"):
        p = os.path.join(d, name)
        with open(p, mode) as fh:
            fh.write(data)
        return p

    explain = [
        ("10 MiB paste", b"WebSocket connection failed " * 400000),
        ("escapes and secrets", b"\x1b]0;x\x07Error: wss://u:PLANTpw@h/?token=PLANTtok Authorization: Bearer PLANTb 1006\x1b[2J"),
        ("binary garbage", os.urandom(1 << 20)),
        ("one 4 MiB line", b"a" * (4 << 20)),
        ("JSON with a HAR header", b'{"name":"Authorization","value":"Bearer PLANThar"} 401'),
    ]
    for name, data in explain:
        run("explain", name, ["explain", "-"], 5, stdin=data)
        run("explain", name + " (--json)", ["explain", "-", "--json"], 5, stdin=data)

    a = f("a.conf", b"include a.conf;\ninclude a.conf;\ninclude a.conf;\nlocation /ws { proxy_pass http://u:PLANTproxy@b; }\n")
    fifo = os.path.join(d, "fifo.conf")
    if not os.path.exists(fifo):
        os.mkfifo(fifo)
    lint = [
        ("self-include x3", [a]),
        ("nested YAML 50k levels", [f("deep.yaml", b"a:\n" + b"".join(b" " * i + b"- \n" for i in range(1, 2000)) + b"[" * 50000)]),
        ("TOML 100k keys", [f("big.toml", b"".join(b"k%d = 1\n" % i for i in range(100000)))]),
        ("Apache 16k VirtualHosts", [f("httpd.conf", b"".join(b"<VirtualHost *:80>\nProxyPass /ws ws://u:PLANTap@b/\n</VirtualHost>\n" for _ in range(16000)))]),
        ("a FIFO", [fifo]),
        ("/dev/zero", ["/dev/zero"]),
        ("4 MiB line", [f("long.conf", b"location /ws { proxy_pass http://b; " + b"x" * (4 << 20) + b" }\n")]),
        ("escapes in config", [f("esc.conf", b"location /ws\x1b]0;t\x07 { proxy_pass http://u:PLANTesc@b; }\n")]),
    ]
    for name, argv in lint:
        run("lint", name, ["lint"] + argv, 10)
        run("lint", name + " (--json)", ["lint", "--json"] + argv, 10)

    url = "https://h/ws?token=PLANThar&x=" + "a" * (50 << 20)
    har = {"log": {"entries": [{"request": {"url": url, "headers": [{"name": "Authorization", "value": "Bearer PLANThh"}]},
                                  "response": {"status": 101}}]}}
    har_p = f("big.har", json.dumps(har).encode())
    many = {"log": {"entries": [{"request": {"url": "wss://h/ws", "headers": []}, "response": {"status": 502}}] * 200000}}
    many_p = f("many.har", json.dumps(many).encode())
    gz = gzip.compress(b"2026/01/01 00:00:00 [error] 1#1: *1 upstream prematurely closed connection while reading response header from upstream, request: \"GET /ws?token=PLANTgz HTTP/1.1\"\n" * 1000)
    logs = [
        ("HAR with a 50 MB URL", [har_p]),
        ("HAR with 200k entries", [many_p]),
        ("UTF-16 log", [f("u16.log", "WebSocket connection to 'wss://h/' failed\n".encode("utf-16"))]),
        ("truncated .gz and a good file", [f("cut.log.gz", gz[: len(gz) // 2]), f("ok.log", b"WebSocket is closed before the connection is established\n")]),
        ("secrets and escapes", [f("sec.log", b"Authorization: Bearer PLANTlb \x1b]0;t\x07 GET /ws?access_token=PLANTlq HTTP/1.1\" 101\ncookie: a=PLANTlc\n")]),
        ("/dev/zero", ["/dev/zero"]),
        ("gzip bomb (1 GiB of zeros in 1 MiB)", [f("bomb.log.gz", gzip.compress(bytes(1 << 20), 9) * 1024)]),
    ]
    for name, argv in logs:
        run("logs", name, ["logs"] + argv, 10)
        run("logs", name + " (--json)", ["logs", "--json"] + argv, 10)

    existing = f("existing-ca.pem", b"keep")
    link = os.path.join(d, "link-ca.pem")
    if not os.path.lexists(link):
        os.symlink(existing, link)
    lab = [
        ("--list", ["lab", "--list"], 2, None),
        ("--list --json", ["lab", "--list", "--json"], 2, None),
        ("serve all, SIGTERM after 3 s", ["lab"], 6, 3),
        ("--ca-out an existing file", ["lab", "--ca-out", existing], 3, 2),
        ("--ca-out a symbolic link", ["lab", "--ca-out", link], 3, 2),
        ("unknown --only", ["lab", "--only", "\x1b[2Jnope"], 2, None),
    ]
    for name, argv, dl, kill in lab:
        run("lab", name, argv, dl, kill_after=kill)

    print(f"{'command':8} {'inputs':>6} {'by deadline':>11} {'peak RSS':>9} {'goal':>6} {'secrets':>7}")
    for cmd in ["check", "explain", "lab", "lint", "logs"]:
        rs = [r for r in results if r[0] == cmd]
        if not rs:
            continue
        ok = sum(r[2] for r in rs)
        peak = max(r[3] for r in rs) / 1024
        sec = sum(len(r[4]) for r in rs)
        print(f"{cmd:8} {len(rs):6} {ok:11} {peak:7.1f} MiB {RSS_GOAL[cmd]:4} MiB {sec:7}")
    print()
    for cmd, name, ok, rss, found, wall, code in results:
        bad = (not ok) or rss / 1024 > RSS_GOAL[cmd] or found
        if bad or os.environ.get("VERBOSE"):
            print(f"  {'FAIL' if bad else 'ok  '} {cmd:7} {name:45.45} {wall:5.1f} s {rss/1024:7.1f} MiB exit {code} {b' '.join(found).decode()}")
    with open(os.path.join(WORK, "results.json"), "w") as fh:
        json.dump([dict(command=c, input=n, by_deadline=o, rss_kib=r, secrets=[x.decode() for x in s], wall_s=w, exit=e)
                   for c, n, o, r, s, w, e in results], fh, indent=1)


main()
