// hyco-https listener: answers every request with a JSON description of it
// (method, url, selected headers, body length and sha256), plus an echo of the
// body when the request asks for it with "x-echo: 1".
// config: {listenUri, tokenUri, keyName, key, seconds}
'use strict';
const crypto = require('crypto');
const { config, sdk, emit, exit, deadline } = require('./common');
const cfg = config();
deadline(cfg.seconds || 60);
const https = sdk('hyco-https');
const server = https.createRelayedServer({
  server: cfg.listenUri,
  token: function () { return https.createRelayToken(cfg.tokenUri, cfg.keyName, cfg.key); },
}, function (req, res) {
  const chunks = [];
  req.on('data', function (c) { chunks.push(c); });
  req.on('end', function () {
    const body = Buffer.concat(chunks);
    const sha = crypto.createHash('sha256').update(body).digest('hex');
    emit('request', { method: req.method, url: req.url, length: body.length });
    if (req.headers['x-echo'] === '1') {
      res.setHeader('Content-Type', 'application/octet-stream');
      res.setHeader('X-Body-Sha256', sha);
      res.statusCode = 200;
      if (body.length === 0) { res.end(); } else { res.end(body); }
      return;
    }
    res.setHeader('Content-Type', 'application/json');
    res.statusCode = 201;
    res.end(JSON.stringify({ method: req.method, url: req.url, length: body.length, sha256: sha,
      custom: req.headers['x-custom'] || null }));
  });
});
server.listen(function (err) {
  if (err) { emit('error', { message: String(err) }); exit(2); }
});
server.on('listening', function () { emit('listening'); });
server.on('error', function (err) { emit('error', { message: String(err && err.message || err) }); });
process.stdin.on('data', function () {});
process.stdin.on('end', function () { try { server.close(); } catch (e) {} setTimeout(function () { exit(0); }, 200); });
