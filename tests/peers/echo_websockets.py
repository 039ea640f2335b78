"""A real peer nobody here wrote: Python `websockets` echo server on 127.0.0.1:0.

Prints `PORT <n>` on stdout once listening, then serves until stdin closes or it is
killed. Options: --subprotocol NAME (selects it when offered), --origins A,B (origin
check), --max-size N (closes with 1009 above N bytes), --ping-interval/--ping-timeout
(the library's keep-alive: it closes with 1011 when its pings go unanswered),
--cert FILE --key FILE (serves wss:// with that PEM certificate and key).
"""
import argparse
import asyncio
import ssl
import sys

import websockets
from websockets.asyncio.server import serve


async def echo(ws):
    try:
        async for msg in ws:
            await ws.send(msg)
    except websockets.ConnectionClosed:
        pass


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--subprotocol", action="append", default=[])
    ap.add_argument("--origins", default=None)
    ap.add_argument("--max-size", type=int, default=2**20)
    ap.add_argument("--ping-interval", type=float, default=20)
    ap.add_argument("--ping-timeout", type=float, default=20)
    ap.add_argument("--cert", default=None)
    ap.add_argument("--key", default=None)
    args = ap.parse_args()
    kwargs = {
        "max_size": args.max_size,
        "ping_interval": args.ping_interval,
        "ping_timeout": args.ping_timeout,
    }
    if args.subprotocol:
        kwargs["subprotocols"] = args.subprotocol
    if args.origins:
        kwargs["origins"] = args.origins.split(",")
    if args.cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.cert, args.key)
        kwargs["ssl"] = tls
    async with serve(echo, "127.0.0.1", 0, **kwargs) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"PORT {port}", flush=True)
        loop = asyncio.get_running_loop()
        # Stop when the parent closes our stdin: no orphan servers after a test.
        await loop.run_in_executor(None, sys.stdin.read)


asyncio.run(main())
