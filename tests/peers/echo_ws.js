// A real peer nobody here wrote: Node `ws` echo server on 127.0.0.1:0.
// Prints `PORT <n>` once listening; exits when stdin closes.
const { WebSocketServer } = require('ws');
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
wss.on('listening', () => console.log(`PORT ${wss.address().port}`));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
