// hyco-ws sender: connects, sends `count` text messages and one binary message,
// expects each to come back (an echoing listener), then closes with 1000.
// config: {sendUri, tokenUri, keyName, key, count, size, seconds}
'use strict';
const { config, sdk, emit, deadline } = require('./common');
const cfg = config();
deadline(cfg.seconds || 60);
const WebSocket = sdk('hyco-ws');
const token = WebSocket.createRelayToken(cfg.tokenUri, cfg.keyName, cfg.key);
const count = cfg.count || 3;
const text = 'x'.repeat(cfg.size || 16);
let received = 0;
const client = WebSocket.relayedConnect(cfg.sendUri, token, function (ws) {
  emit('connected');
  for (let i = 0; i < count; i++) { ws.send(i + ':' + text); }
  ws.send(Buffer.from([0, 1, 2, 254, 255]), { binary: true });
});
client.on('message', function (data, flags) {
  received += 1;
  const binary = !!(flags && flags.binary);
  emit('message', binary ? { binary: true, hex: Buffer.from(data).toString('hex') } : { binary: false, text: String(data) });
  if (received === count + 1) { client.close(1000, 'done'); }
});
client.on('close', function (code) {
  emit('summary', { sent: count + 1, received: received });
  process.exit(received === count + 1 ? 0 : 1);
});
client.on('error', function (err) { emit('error', { message: String(err && err.message || err) }); process.exit(2); });
