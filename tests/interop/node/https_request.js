// A plain Node.js HTTPS request (the way the official samples send HTTP to a
// hybrid connection): POST with the SAS token in ServiceBusAuthorization.
// config: {url, tokenUri, keyName, key, bodyLength, seconds, method (default POST)}
'use strict';
const crypto = require('crypto');
const nodeHttps = require('https');
const { config, sdk, emit, exit, deadline } = require('./common');
const cfg = config();
deadline(cfg.seconds || 60);
const hyco = sdk('hyco-https');
const token = hyco.createRelayToken(cfg.tokenUri, cfg.keyName, cfg.key);
const body = Buffer.alloc(cfg.bodyLength || 0, 'a');
const req = nodeHttps.request(cfg.url, {
  method: cfg.method || 'POST',
  headers: { 'ServiceBusAuthorization': token, 'Content-Length': body.length, 'X-Custom': 'node' },
}, function (res) {
  const chunks = [];
  res.on('data', function (c) { chunks.push(c); });
  res.on('end', function () {
    const out = Buffer.concat(chunks);
    emit('response', { status: res.statusCode, length: out.length,
      sha256: crypto.createHash('sha256').update(out).digest('hex'), body: out.length < 2048 ? out.toString('utf8') : null });
    exit(res.statusCode >= 200 && res.statusCode < 300 ? 0 : 1);
  });
});
req.on('error', function (err) { emit('error', { message: String(err && err.message || err) }); exit(2); });
req.end(body);
