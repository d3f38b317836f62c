import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { sameLoopbackHost } from '../../example/loopback-host';

function appFor(callbackURL: string): express.Express {
  const app = express();
  app.use(sameLoopbackHost(callbackURL));
  app.all('*splat', (_req, res) => {
    res.send('served');
  });
  return app;
}

describe('example/loopback-host.ts', () => {
  const app = appFor('http://localhost:3000/auth/tiktok/callback');

  it('sends a GET on another loopback name to the callback host, path and query kept', async () => {
    for (const host of ['127.0.0.1:3000', '[::1]:3000']) {
      const res = await request(app).get('/auth/tiktok?returnTo=%2Fprofile').set('Host', host);
      assert.equal(res.status, 302, host);
      assert.equal(res.headers.location, 'http://localhost:3000/auth/tiktok?returnTo=%2Fprofile');
    }
  });

  it('serves the callback host itself, other ports, other hosts and non-GET requests', async () => {
    for (const host of ['localhost:3000', '127.0.0.1:4000', 'evil.example:3000']) {
      const res = await request(app).get('/').set('Host', host);
      assert.equal(res.text, 'served', host);
    }
    const post = await request(app).post('/auth/tiktok').set('Host', '127.0.0.1:3000');
    assert.equal(post.text, 'served');
  });

  it('never redirects off the configured origin (a path like //evil.example stays a path)', async () => {
    const res = await request(app).get('//evil.example/x').set('Host', '127.0.0.1:3000');
    assert.equal(res.status, 302);
    assert.ok(String(res.headers.location).startsWith('http://localhost:3000/'));
  });

  it('leaves a request target that is not a path alone (absolute-form, asterisk-form)', async () => {
    const absolute = await request(app).get('/').set('Host', '127.0.0.1:3000');
    assert.equal(absolute.status, 302); // the control: a path is redirected
    const { createServer } = await import('node:http');
    const { connect } = await import('node:net');
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as import('node:net').AddressInfo;
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.end(
            'GET http://evil.example/x HTTP/1.1\r\nHost: 127.0.0.1:3000\r\nConnection: close\r\n\r\n',
          );
        });
        let text = '';
        socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      assert.match(raw, /^HTTP\/1\.1 200/, raw.split('\r\n')[0]);
    } finally {
      server.close();
    }
  });

  it('does nothing when the callback URL is not on a loopback host (a deployed app)', async () => {
    const deployed = appFor('https://app.example/auth/tiktok/callback');
    const res = await request(deployed).get('/').set('Host', '127.0.0.1:3000');
    assert.equal(res.text, 'served');
  });
});
