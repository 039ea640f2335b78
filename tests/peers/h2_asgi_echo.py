"""A real RFC 8441 peer nobody here wrote: hypercorn (HTTP/1.1 and HTTP/2 with
SETTINGS_ENABLE_CONNECT_PROTOCOL) serving an ASGI WebSocket echo over TLS.

Usage: h2_asgi_echo.py PORT CERTFILE KEYFILE — listens on 127.0.0.1:PORT until killed.
"""
import asyncio
import sys

from hypercorn.asyncio import serve
from hypercorn.config import Config


async def app(scope, receive, send):
    if scope["type"] == "websocket":
        while True:
            m = await receive()
            if m["type"] == "websocket.connect":
                await send({"type": "websocket.accept"})
            elif m["type"] == "websocket.receive":
                if m.get("text") is not None:
                    await send({"type": "websocket.send", "text": m["text"]})
                else:
                    await send({"type": "websocket.send", "bytes": m["bytes"]})
            else:
                return
    elif scope["type"] == "http":
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b"not found\n"})
    elif scope["type"] == "lifespan":
        while True:
            m = await receive()
            if m["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return


def main():
    port, cert, key = sys.argv[1], sys.argv[2], sys.argv[3]
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.certfile = cert
    config.keyfile = key
    config.accesslog = None
    asyncio.run(serve(app, config))


if __name__ == "__main__":
    main()
