// hyco-ws sender for benchmarks: keeps up to `window` messages in flight
// against an echoing listener, counts the echoes, prints one summary and
// closes with 1000. Timed from the open connection to the last echo, as
// `relaydesk send --expect-echo` times itself.
// config: {sendUri, tokenUri, keyName, key, count, size, window, seconds}
'use strict';
const { config, sdk, emit, exit, deadline } = require('../../tests/interop/node/common');
const cfg = config();
deadline(cfg.seconds || 120);
const WebSocket = sdk('hyco-ws');
const token = WebSocket.createRelayToken(cfg.tokenUri, cfg.keyName, cfg.key);
const count = cfg.count || 1000;
const windowSize = cfg.window || 1;
const payload = 'x'.repeat(cfg.size || 1024);
let sent = 0;
let received = 0;
let started = 0;
let finished = 0;
function fill(ws) {
  while (sent < count && sent - received < windowSize) { ws.send(payload); sent += 1; }
}
const client = WebSocket.relayedConnect(cfg.sendUri, token, function () {
  emit('connected');
  started = process.hrtime.bigint();
  fill(client);
});
client.on('message', function (data) {
  if (String(data).length === payload.length) { received += 1; }
  if (received === count) {
    finished = process.hrtime.bigint();
    client.close(1000, 'done');
  } else {
    fill(client);
  }
});
client.on('close', function (code) {
  const elapsedMs = Number(finished - started) / 1e6;
  emit('summary', { sent: sent, received: received, elapsed_ms: elapsedMs,
    messages_per_s: received / (elapsedMs / 1000), close_code: code });
  exit(received === count ? 0 : 1);
});
client.on('error', function (err) { emit('error', { message: String(err && err.message || err) }); exit(2); });
