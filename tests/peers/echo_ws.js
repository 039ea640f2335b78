// A real peer nobody here wrote: Node `ws` echo server on 127.0.0.1:0.
// Prints `PORT <n>` once listening; exits when stdin closes.
// `--max-payload N` sets ws's message cap (default: ws's own, 100 MiB).
// Each socket's 'error' event is handled: peers get invalid frames on purpose (the
// conformance suite, hostile tests), and ws reports those as an 'error' event, after it
// has failed the connection as RFC 6455 requires, that would otherwise end the process.
const { WebSocketServer } = require('ws');
const at = process.argv.indexOf('--max-payload');
const options = { host: '127.0.0.1', port: 0 };
if (at > 0) options.maxPayload = Number(process.argv[at + 1]);
const wss = new WebSocketServer(options);
wss.on('connection', (ws) => {
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
wss.on('listening', () => console.log(`PORT ${wss.address().port}`));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
