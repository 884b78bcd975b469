// hyco-https listener for benchmarks: answers every request with 200 and its
// body, printing nothing per request (only "listening").
// config: {listenUri, tokenUri, keyName, key, seconds}
'use strict';
const { config, sdk, emit, exit, deadline } = require('../../tests/interop/node/common');
const cfg = config();
deadline(cfg.seconds || 600);
const https = sdk('hyco-https');
const server = https.createRelayedServer({
  server: cfg.listenUri,
  token: function () { return https.createRelayToken(cfg.tokenUri, cfg.keyName, cfg.key); },
}, function (req, res) {
  const chunks = [];
  req.on('data', function (c) { chunks.push(c); });
  req.on('end', function () {
    const body = Buffer.concat(chunks);
    res.statusCode = 200;
    if (body.length === 0) { res.end(); } else { res.end(body); }
  });
});
server.listen(function (err) {
  if (err) { emit('error', { message: String(err) }); exit(2); }
});
server.on('listening', function () { emit('listening'); });
server.on('error', function (err) { emit('error', { message: String(err && err.message || err) }); });
process.stdin.on('data', function () {});
process.stdin.on('end', function () { try { server.close(); } catch (e) {} setTimeout(function () { exit(0); }, 200); });
