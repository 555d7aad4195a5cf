// A minimal Node.js password service for comparison with pwsvcd: the same
// routes and the same Argon2id parameters (m=19456 KiB, t=2, p=1), using the
// argon2 npm package.
'use strict';

const http = require('http');
const argon2 = require('argon2');

const options = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 };
const port = Number(process.env.PORT || 0);

function readJson(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (error) {
        reject(error);
      }
    });
  });
}

function reply(response, status, object) {
  const body = JSON.stringify(object);
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
}

const server = http.createServer(async (request, response) => {
  try {
    if (request.method === 'GET' && request.url === '/healthz') {
      return reply(response, 200, { status: 'ok' });
    }
    if (request.method === 'POST' && request.url === '/v1/hash') {
      const body = await readJson(request);
      return reply(response, 200, { hash: await argon2.hash(body.password, options) });
    }
    if (request.method === 'POST' && request.url === '/v1/verify') {
      const body = await readJson(request);
      return reply(response, 200, { match: await argon2.verify(body.hash, body.password) });
    }
    return reply(response, 404, { error: 'not found' });
  } catch (error) {
    return reply(response, 400, { error: 'bad request' });
  }
});

server.keepAliveTimeout = 60000;
server.listen(port, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: server.address().port }));
});
