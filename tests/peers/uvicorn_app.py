"""A real application server nobody here wrote: uvicorn, serving an ASGI app with a
WebSocket route at /ws (an echo), on 127.0.0.1:0.

Usage: uvicorn_app.py WS, where WS is uvicorn's --ws setting: `websockets` (WebSocket
support on) or `none` (what uvicorn does when neither websockets nor wsproto is
installed: it logs "Unsupported upgrade request" and hands the Upgrade to the app as a
plain HTTP request, which the app has no HTTP route for: 404, as FastAPI and Starlette
answer). Prints `PORT <n>` once listening, then serves until stdin closes.
"""
import asyncio
import socket
import sys

import uvicorn


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            pass
        return
    if scope["type"] == "websocket" and scope["path"] == "/ws":
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        while True:
            msg = await receive()
            if msg["type"] != "websocket.receive":
                return
            await send({"type": "websocket.send", **{k: v for k, v in msg.items() if k in ("text", "bytes")}})
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 404,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
        await send({"type": "http.response.body", "body": b"Not Found"})


async def main():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    # Listening before the port is printed: a client that connects at once waits in
    # the backlog until uvicorn accepts.
    sock.listen(128)
    config = uvicorn.Config(app, ws=sys.argv[1], log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    server.should_exit = True
    await serving


asyncio.run(main())
