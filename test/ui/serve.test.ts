/**
 * The explorer's server over real HTTP: on loopback it answers only to its own names (a page that
 * rebinds its DNS name to 127.0.0.1 must not read it), and it answers no method that could write.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { type RunningUi, serveUi } from '../../src/ui/serve.ts';
import { FapoError } from '../../src/util/errors.ts';
import { hostileWorkspace } from './fixtures.ts';

function get(url: URL, host: string, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: '/', method, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('fapo ui server', () => {
  let ui: RunningUi;
  let url: URL;
  before(async () => {
    ui = await serveUi({ dirs: [hostileWorkspace().dir] });
    url = new URL(ui.url);
  });
  after(() => ui.close());

  it('answers its own loopback names', async () => {
    for (const name of ['127.0.0.1', 'localhost']) {
      const res = await get(url, `${name}:${url.port}`);
      assert.equal(res.status, 200, name);
      assert.match(res.body, /hostile-ws/);
    }
  });

  it('refuses a foreign Host header (DNS rebinding), naming the address to use', async () => {
    for (const host of [`attacker.example:${url.port}`, 'attacker.example', `127.0.0.1:${Number(url.port) + 1}`]) {
      const res = await get(url, host);
      assert.equal(res.status, 421, host);
      assert.doesNotMatch(res.body, /hostile-ws/);
      assert.match(res.body, new RegExp(`127\\.0\\.0\\.1:${url.port}`));
    }
  });

  it('refuses every method but GET and HEAD', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const res = await get(url, `127.0.0.1:${url.port}`, method);
      assert.equal(res.status, 405, method);
    }
    assert.equal((await get(url, `127.0.0.1:${url.port}`, 'HEAD')).status, 200);
  });

  it('explains a busy port instead of crashing', async () => {
    await assert.rejects(serveUi({ dirs: [hostileWorkspace().dir], port: Number(url.port) }), (err: FapoError) => {
      assert.ok(err instanceof FapoError);
      assert.match(err.message, new RegExp(`port ${url.port} on 127\\.0\\.0\\.1 is in use`));
      assert.match(err.hint ?? '', /--port/);
      return true;
    });
  });
});
