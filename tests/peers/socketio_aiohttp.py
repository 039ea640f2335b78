"""A real peer nobody here wrote: a python-socketio server on aiohttp, 127.0.0.1:0.

Prints `PORT <n>` on stdout once listening, then serves until stdin closes or it is
killed. A raw WebSocket client reaching /socket.io/ gets what python-socketio answers
it: 400 "The client is using an unsupported version of the Socket.IO or Engine.IO
protocols".
"""
import asyncio
import sys

import socketio
from aiohttp import web


async def main():
    sio = socketio.AsyncServer(async_mode="aiohttp")
    app = web.Application()
    sio.attach(app)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    # Serve until the test closes our stdin (or kills us).
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await runner.cleanup()


asyncio.run(main())
