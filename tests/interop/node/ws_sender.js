// hyco-ws sender: connects, sends `count` text messages and one binary message,
// expects each to come back (an echoing listener), then closes with 1000.
// config: {sendUri, tokenUri, keyName, key, count, size, seconds}
'use strict';
const crypto = require('crypto');
const { config, sdk, emit, exit, deadline } = require('./common');
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
  if (binary) {
    emit('message', { binary: true, hex: Buffer.from(data).toString('hex') });
  } else {
    const s = String(data);
    emit('message', { binary: false, length: s.length, head: s.slice(0, 8),
      sha256: crypto.createHash('sha256').update(s).digest('hex') });
  }
  if (received === count + 1) { client.close(1000, 'done'); }
});
client.on('close', function (code) {
  emit('summary', { sent: count + 1, received: received });
  exit(received === count + 1 ? 0 : 1);
});
client.on('error', function (err) { emit('error', { message: String(err && err.message || err) }); exit(2); });
