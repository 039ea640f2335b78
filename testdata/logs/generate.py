#!/usr/bin/env python3
"""Regenerates the access logs under testdata/logs/ with the real programs.

    python3 testdata/logs/generate.py          (about 70 s: the idle cuts are real)

Everything listens on 127.0.0.1 (ports picked free). A Python `websockets` echo server
is the backend; in front of it run nginx (the ingress-nginx default log_format, the
combined format and a JSON `escape=json` format, plus its error.log), HAProxy (HTTP and
TCP logs through a syslog receiver, written the way rsyslog writes them), Apache
(`%D` and `%T` formats, its error.log with mod_proxy errors), Caddy (JSON access log)
and Traefik (JSON and CLF access logs). Clients hold WebSocket sessions open without
traffic so each proxy's idle timeout ends them where it has one (nginx and Apache:
60 s, HAProxy: `timeout client/server 50s` as in Debian's packaged haproxy.cfg); other
sessions end after a few seconds from the client side; some requests go to pages and
to a backend that is down (502/503). The logs are copied here; the temp dir is removed.
"""
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import websockets
from websockets.asyncio.client import connect
from websockets.asyncio.server import serve

HERE = os.path.dirname(os.path.abspath(__file__))
HOST = "127.0.0.1"

INGRESS = (
    "'$remote_addr - $remote_user [$time_local] \"$request\" '\n"
    "    '$status $body_bytes_sent \"$http_referer\" \"$http_user_agent\" '\n"
    "    '$request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr '\n"
    "    '$upstream_response_length $upstream_response_time $upstream_status $req_id'"
)
NGINX_JSON = (
    "escape=json '{\"time\":\"$time_iso8601\",\"remote_addr\":\"$remote_addr\",\"request_id\":\"$request_id\","
    "\"method\":\"$request_method\",\"uri\":\"$request_uri\",\"status\":$status,\"bytes_sent\":$bytes_sent,"
    "\"request_time\":$request_time,\"upstream_addr\":\"$upstream_addr\","
    "\"upstream_status\":\"$upstream_status\",\"upstream_response_time\":\"$upstream_response_time\","
    "\"http_user_agent\":\"$http_user_agent\"}'"
)


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_port(port, deadline=10.0):
    end = time.time() + deadline
    while time.time() < end:
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def wait_routed(port, deadline):
    end = time.time() + deadline
    while time.time() < end:
        with socket.create_connection((HOST, port), timeout=2) as c:
            c.sendall(b"GET /live/ready HTTP/1.1\r\nHost: ready\r\nConnection: close\r\n\r\n")
            if b" 404 " not in c.recv(64):
                return
        time.sleep(0.2)
    raise RuntimeError(f"traefik on {port} never routed /live")


def nginx_conf(d, port, backend, down):
    return f"""
events {{ worker_connections 256; }}
http {{
  client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fcgi;
  uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
  log_format upstreaminfo {INGRESS};
  log_format jsonlog {NGINX_JSON};
  access_log {d}/ingress.log upstreaminfo;
  access_log {d}/combined.log combined;
  access_log {d}/json.log jsonlog;
  upstream chat {{ server {HOST}:{backend}; }}
  upstream down {{ server {HOST}:{down}; }}
  server {{
    listen {HOST}:{port};
    set $req_id $request_id;
    set $proxy_alternative_upstream_name "";
    location /ws {{
      set $proxy_upstream_name "upstream-default-chat-8080";
      proxy_pass http://chat;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
    }}
    location /live {{
      set $proxy_upstream_name "upstream-default-live-8080";
      proxy_pass http://down;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
    }}
    location / {{ set $proxy_upstream_name "-"; return 200 "ok\\n"; }}
  }}
}}
"""


def haproxy_conf(port, tcp_port, backend, down, syslog):
    return f"""
global
  maxconn 256
  log {HOST}:{syslog} local0
defaults
  log global
  timeout connect 2s
  timeout client 50s
  timeout server 50s
frontend fe_http
  mode http
  option httplog
  bind {HOST}:{port}
  use_backend be_down if {{ path_beg /live }}
  default_backend be_ws
frontend fe_tcp
  mode tcp
  option tcplog
  bind {HOST}:{tcp_port}
  default_backend be_tcp
backend be_ws
  mode http
  server ws1 {HOST}:{backend}
backend be_down
  mode http
  server live1 {HOST}:{down}
backend be_tcp
  mode tcp
  server ws1 {HOST}:{backend}
"""


def apache_conf(d, port, backend, down):
    mods = "/usr/lib/apache2/modules"
    load = "\n".join(
        f"LoadModule {m}_module {mods}/mod_{m}.so"
        for m in ["mpm_event", "authz_core", "proxy", "proxy_http", "proxy_wstunnel"]
    )
    return f"""
{load}
ServerRoot {d}
ServerName localhost
Listen {HOST}:{port}
PidFile {d}/apache.pid
User www-data
Group www-data
ErrorLog {d}/apache-error.log
LogLevel warn proxy:info
LogFormat "%h %l %u %t \\"%r\\" %>s %b \\"%{{Referer}}i\\" \\"%{{User-Agent}}i\\" %D" combined_d
LogFormat "%h %l %u %t \\"%r\\" %>s %b %T" common_t
CustomLog {d}/apache-access-d.log combined_d
CustomLog {d}/apache-access-t.log common_t
ProxyPass /ws ws://{HOST}:{backend}/ws
ProxyPass /live ws://{HOST}:{down}/live
"""


def caddy_conf(d, port, backend, down):
    return f"""{{
  admin off
  auto_https off
  storage file_system {d}/caddy
}}
http://{HOST}:{port} {{
  log {{
    output file {d}/caddy.log
    format json
  }}
  handle /live* {{
    reverse_proxy {HOST}:{down}
  }}
  handle /ws* {{
    reverse_proxy {HOST}:{backend}
  }}
  respond "ok"
}}
"""


def traefik_conf(d, port, backend, down, fmt):
    static = f"""
entryPoints:
  web:
    address: "{HOST}:{port}"
providers:
  file:
    filename: "{d}/traefik-dyn-{fmt}.yml"
log:
  level: ERROR
  filePath: "{d}/traefik-{fmt}-error.log"
accessLog:
  filePath: "{d}/traefik-{fmt}.log"
  format: {fmt}
"""
    dynamic = f"""
http:
  routers:
    ws:
      rule: "PathPrefix(`/ws`)"
      service: chat
      entryPoints: [web]
    live:
      rule: "PathPrefix(`/live`)"
      service: live
      entryPoints: [web]
  services:
    chat:
      loadBalancer:
        servers: [{{url: "http://{HOST}:{backend}"}}]
    live:
      loadBalancer:
        servers: [{{url: "http://{HOST}:{down}"}}]
"""
    return static, dynamic


class Syslog(asyncio.DatagramProtocol):
    """Writes HAProxy's RFC 3164 datagrams as rsyslog's default file format does:
    `Mmm dd hh:mm:ss host tag: msg`."""

    def __init__(self, path):
        self.out = open(path, "a")

    def datagram_received(self, data, addr):
        msg = data.decode("utf-8", "replace").rstrip("\n")
        if msg.startswith("<"):
            msg = msg[msg.index(">") + 1 :]
        # "Dec  3 14:10:00 haproxy[12]: …" -> "Dec  3 14:10:00 lb1 haproxy[12]: …"
        self.out.write(msg[:15] + " lb1" + msg[15:] + "\n")
        self.out.flush()


async def echo(ws):
    try:
        async for m in ws:
            await ws.send(m)
    except websockets.ConnectionClosed:
        pass


async def session(url, hold, ua):
    """Opens a WebSocket and stays quiet: `hold` seconds then closes, or None to wait
    until the proxy cuts it."""
    try:
        async with connect(url, ping_interval=None, open_timeout=5, close_timeout=2,
                           user_agent_header=ua) as ws:
            await ws.send("hello")
            await ws.recv()
            if hold is None:
                await asyncio.wait_for(ws.wait_closed(), 75)
            else:
                await asyncio.sleep(hold)
    except Exception as e:  # the down backend, the cut: both are the point
        print(f"  {url}: {type(e).__name__}", file=sys.stderr)


async def get(port, path):
    try:
        r, w = await asyncio.open_connection(HOST, port)
        w.write(f"GET {path} HTTP/1.1\r\nHost: chat.example.com\r\nUser-Agent: curl/8.5.0\r\nConnection: close\r\n\r\n".encode())
        await w.drain()
        await asyncio.wait_for(r.read(), 10)
        w.close()
    except Exception as e:
        print(f"  GET {path}: {type(e).__name__}", file=sys.stderr)


async def run(d):
    backend, down = free_port(), free_port()
    ports = {k: free_port() for k in ["nginx", "haproxy", "haproxy_tcp", "apache", "caddy", "tj", "tc", "syslog"]}
    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(lambda: Syslog(f"{d}/haproxy.log"), local_addr=(HOST, ports["syslog"]))
    server = await serve(echo, HOST, backend, ping_interval=None)
    procs = []
    open(f"{d}/nginx.conf", "w").write(nginx_conf(d, ports["nginx"], backend, down))
    procs.append(subprocess.Popen(["nginx", "-p", d, "-c", f"{d}/nginx.conf", "-g",
                                   f"daemon off; master_process off; pid {d}/nginx.pid; error_log {d}/error.log info;"]))
    open(f"{d}/haproxy.cfg", "w").write(haproxy_conf(ports["haproxy"], ports["haproxy_tcp"], backend, down, ports["syslog"]))
    procs.append(subprocess.Popen(["haproxy", "-db", "-f", f"{d}/haproxy.cfg"]))
    open(f"{d}/apache.conf", "w").write(apache_conf(d, ports["apache"], backend, down))
    procs.append(subprocess.Popen(["apache2", "-X", "-f", f"{d}/apache.conf"], env={**os.environ, "APACHE_RUN_DIR": d}))
    open(f"{d}/Caddyfile", "w").write(caddy_conf(d, ports["caddy"], backend, down))
    procs.append(subprocess.Popen(["caddy", "run", "--config", f"{d}/Caddyfile", "--adapter", "caddyfile"],
                                  stdout=subprocess.DEVNULL, stderr=open(f"{d}/caddy-stderr.log", "w")))
    for fmt, key in [("json", "tj"), ("common", "tc")]:
        static, dynamic = traefik_conf(d, ports[key], backend, down, fmt)
        open(f"{d}/traefik-{fmt}.yml", "w").write(static)
        open(f"{d}/traefik-dyn-{fmt}.yml", "w").write(dynamic)
        procs.append(subprocess.Popen(["traefik", f"--configFile={d}/traefik-{fmt}.yml"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    try:
        for k in ["nginx", "haproxy", "haproxy_tcp", "apache", "caddy", "tj", "tc"]:
            wait_port(ports[k], 20)
        # Traefik listens before its file provider has loaded the routes.
        for k in ["tj", "tc"]:
            wait_routed(ports[k], 20)
        await clients(ports)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        server.close()


async def clients(ports):
    ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
    tasks = []
    for k in ["nginx", "haproxy", "apache", "caddy", "tj", "tc"]:
        p = ports[k]
        base = f"ws://{HOST}:{p}"
        # Idle sessions, cut by the proxy where it has an idle timeout (on proxies
        # without one, clients leave at spread times: no pile-up that is not a cut).
        cut = k in ("nginx", "haproxy", "apache")
        for i in range(8):
            hold = None if cut else 11.0 + i * 2.7
            tasks.append(session(f"{base}/ws?room={i}&token=s3cr3t{i}", hold, ua))
        # Ordinary sessions the client ends after a few seconds.
        for i, hold in enumerate([1.2, 2.5, 3.1, 4.7, 6.3, 9.8]):
            tasks.append(session(f"{base}/ws?room=x{i}", hold, ua))
        # An upgrade to a backend that is down: 502/503.
        for _ in range(3):
            tasks.append(session(f"{base}/live/feed", 0, ua))
        for path in ["/", "/index.html", "/api/rooms"]:
            tasks.append(get(p, path))
    tcp = f"ws://{HOST}:{ports['haproxy_tcp']}"
    for i in range(6):
        tasks.append(session(f"{tcp}/ws?tcp={i}", None, ua))
    for i, hold in enumerate([1.5, 3.5]):
        tasks.append(session(f"{tcp}/ws?tcp=s{i}", hold, ua))
    await asyncio.gather(*tasks)
    await asyncio.sleep(1.5)


def main():
    d = tempfile.mkdtemp(prefix="wsdoctor-logs-gen-")
    os.chmod(d, 0o755)
    try:
        asyncio.run(run(d))
        out = {
            "nginx/ingress.log": "ingress.log",
            "nginx/combined.log": "combined.log",
            "nginx/json.log": "json.log",
            "nginx/error.log": "error.log",
            "nginx/nginx.conf": "nginx.conf",
            "haproxy/haproxy.log": "haproxy.log",
            "apache/access-d.log": "apache-access-d.log",
            "apache/access-t.log": "apache-access-t.log",
            "apache/error.log": "apache-error.log",
            "caddy/access.log": "caddy.log",
            "traefik/access.json.log": "traefik-json.log",
            "traefik/access.clf.log": "traefik-common.log",
        }
        for dst, src in out.items():
            os.makedirs(os.path.join(HERE, os.path.dirname(dst)), exist_ok=True)
            text = open(os.path.join(d, src), errors="replace").read().replace(d, "/etc/nginx")
            open(os.path.join(HERE, dst), "w").write(text)
            print(f"{dst}: {text.count(chr(10))} lines")
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
