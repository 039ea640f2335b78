"""Python `websockets` echo server with its own keep-alive pings, for the probe tests.

Prints `PORT <n>` once listening on 127.0.0.1:0; serves until stdin closes. The
library pings every --ping-interval seconds and closes with 1011 when no pong comes
within --ping-timeout: what a client that does not answer pings runs into.
"""
import argparse
import asyncio
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
    ap.add_argument("--ping-interval", type=float, default=20.0)
    ap.add_argument("--ping-timeout", type=float, default=20.0)
    args = ap.parse_args()
    async with serve(
        echo,
        "127.0.0.1",
        0,
        ping_interval=args.ping_interval,
        ping_timeout=args.ping_timeout,
    ) as server:
        print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


asyncio.run(main())
