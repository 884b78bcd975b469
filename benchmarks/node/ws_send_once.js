// hyco-ws sender for the start-up benchmark: the Node equivalent of
// `relaydesk send ADDRESS --message hello --count 1 --expect-echo`: connect,
// send one text message, wait for its echo, close with 1000, exit 0.
// config: {sendUri, tokenUri, keyName, key, seconds}
'use strict';
const { config, sdk, emit, exit, deadline } = require('../../tests/interop/node/common');
const cfg = config();
deadline(cfg.seconds || 30);
const WebSocket = sdk('hyco-ws');
const token = WebSocket.createRelayToken(cfg.tokenUri, cfg.keyName, cfg.key);
const client = WebSocket.relayedConnect(cfg.sendUri, token, function (ws) { ws.send('hello'); });
let echoed = false;
client.on('message', function (data) {
  echoed = String(data) === 'hello';
  client.close(1000, 'done');
});
client.on('close', function () { exit(echoed ? 0 : 1); });
client.on('error', function (err) { emit('error', { message: String(err && err.message || err) }); exit(2); });
