// hyco-ws listener: accepts WebSocket senders and echoes every message back.
// config: {listenUri, tokenUri, keyName, key, seconds}
'use strict';
const { config, sdk, emit, exit, deadline } = require('./common');
const cfg = config();
deadline(cfg.seconds || 60);
const WebSocket = sdk('hyco-ws');
const server = WebSocket.createRelayedServer({
  server: cfg.listenUri,
  token: function () { return WebSocket.createRelayToken(cfg.tokenUri, cfg.keyName, cfg.key); },
}, function (ws) {
  emit('accepted');
  ws.on('message', function (data, flags) {
    const binary = !!(flags && flags.binary);
    emit('message', { binary: binary, length: data.length });
    ws.send(data, { binary: binary });
  });
  ws.on('close', function (code) { emit('closed', { code: code }); });
});
server.on('listening', function () { emit('listening'); });
server.on('error', function (err) { emit('error', { message: String(err && err.message || err) }); });
process.stdin.on('data', function () {});
process.stdin.on('end', function () { server.close(); setTimeout(function () { exit(0); }, 200); });
