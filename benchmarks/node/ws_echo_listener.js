// hyco-ws listener for benchmarks: accepts every sender and echoes each
// message, printing nothing per message (only "listening").
// config: {listenUri, tokenUri, keyName, key, seconds}
'use strict';
const { config, sdk, emit, exit, deadline } = require('../../tests/interop/node/common');
const cfg = config();
deadline(cfg.seconds || 600);
const WebSocket = sdk('hyco-ws');
const server = WebSocket.createRelayedServer({
  server: cfg.listenUri,
  token: function () { return WebSocket.createRelayToken(cfg.tokenUri, cfg.keyName, cfg.key); },
}, function (ws) {
  ws.on('message', function (data, flags) { ws.send(data, { binary: !!(flags && flags.binary) }); });
  ws.on('error', function () {});
});
server.on('listening', function () { emit('listening'); });
server.on('error', function (err) { emit('error', { message: String(err && err.message || err) }); });
process.stdin.on('data', function () {});
process.stdin.on('end', function () { server.close(); setTimeout(function () { exit(0); }, 200); });
