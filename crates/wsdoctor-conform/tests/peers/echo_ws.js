// Node `ws` echo server for the conformance suite, on 127.0.0.1:0. Unlike
// tests/peers/echo_ws.js it handles each socket's 'error' event: the suite sends
// invalid frames on purpose, and ws reports those as an 'error' event (after it has
// failed the connection as RFC 6455 requires) that would otherwise end the process.
// Prints `PORT <n>` once listening; exits when stdin closes. Run with NODE_PATH
// pointing at tests/peers/node_modules.
const { WebSocketServer } = require('ws');
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 32 * 1024 * 1024 });
wss.on('connection', (ws) => {
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
wss.on('listening', () => console.log(`PORT ${wss.address().port}`));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
