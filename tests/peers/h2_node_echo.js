// A real RFC 8441 server nobody here wrote: Node's own `http2` module with
// `enableConnectProtocol`, answering the extended CONNECT for /ws/ with 200.
// Node has no WebSocket framing for an HTTP/2 stream, so the echo on the stream is
// a minimal RFC 6455 server codec below (text/binary echoed, ping answered, close
// answered); the HTTP/2 side, which is what is under test, is Node's.
//
// Usage: node h2_node_echo.js PORT CERTFILE KEYFILE — listens on 127.0.0.1:PORT.
'use strict';
const http2 = require('http2');
const fs = require('fs');

const [port, certFile, keyFile] = process.argv.slice(2);

function frame(opcode, payload) {
  const len = payload.length;
  let head;
  if (len < 126) {
    head = Buffer.from([0x80 | opcode, len]);
  } else if (len < 65536) {
    head = Buffer.alloc(4);
    head[0] = 0x80 | opcode; head[1] = 126; head.writeUInt16BE(len, 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = 0x80 | opcode; head[1] = 127; head.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([head, payload]);
}

function echo(stream) {
  let buf = Buffer.alloc(0);
  stream.on('data', (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      if (buf.length < 2) return;
      const opcode = buf[0] & 0x0f;
      let len = buf[1] & 0x7f;
      let off = 2;
      if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
      else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); off = 10; }
      const masked = (buf[1] & 0x80) !== 0;
      const mask = masked ? buf.subarray(off, off + 4) : null;
      if (masked) off += 4;
      if (buf.length < off + len) return;
      const payload = Buffer.from(buf.subarray(off, off + len));
      if (mask) for (let i = 0; i < len; i++) payload[i] ^= mask[i % 4];
      buf = buf.subarray(off + len);
      if (opcode === 0x1 || opcode === 0x2) stream.write(frame(opcode, payload));
      else if (opcode === 0x9) stream.write(frame(0xa, payload));
      else if (opcode === 0x8) { stream.end(frame(0x8, payload.subarray(0, 2))); return; }
    }
  });
  stream.on('error', () => {});
}

const server = http2.createSecureServer({
  cert: fs.readFileSync(certFile),
  key: fs.readFileSync(keyFile),
  allowHTTP1: true,
  settings: { enableConnectProtocol: true },
});
// With allowHTTP1 and a 'request' listener, Node's compatibility layer hands HTTP/2
// CONNECT streams to 'connect' and everything else to 'request'. The HTTP/1.1 side
// has no WebSocket support: an HTTP/1.1 Upgrade is answered 426.
server.on('connect', (req, res) => {
  const h = req.headers;
  if (h[':protocol'] === 'websocket' && h[':path'] === '/ws/') {
    req.stream.respond({ ':status': 200 });
    echo(req.stream);
  } else {
    res.writeHead(404);
    res.end('not found\n');
  }
});
server.on('request', (req, res) => {
  res.writeHead(req.httpVersionMajor === 1 ? 426 : 404, { 'content-type': 'text/plain' });
  res.end('WebSockets over HTTP/2 only\n');
});
server.on('sessionError', () => {});
server.listen(Number(port), '127.0.0.1');
