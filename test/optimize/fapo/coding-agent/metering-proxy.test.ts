/**
 * The coding agents' metering proxy forwards their model calls with the real key, and nothing else:
 * files, batches, organisation endpoints and tricks with `..` or methods stay on this side.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  startMeteringProxy,
  type AgentWireProtocol,
} from '../../../../src/optimize/fapo/coding-agent/metering-proxy.ts';
import { startFakeAnthropic } from '../../../fixtures/fake-anthropic.ts';
import type { FakeLlmServer } from '../../../fixtures/fake-llm-server.ts';
import { startFakeOpenAI } from '../../../fixtures/fake-openai.ts';

const KEY = 'sk-real-key-never-leaves-0123456789';
const servers: FakeLlmServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function proxied(protocol: AgentWireProtocol) {
  const upstream = protocol === 'anthropic' ? await startFakeAnthropic() : await startFakeOpenAI();
  servers.push(upstream);
  const proxy = await startMeteringProxy({
    protocol,
    upstream: upstream.url,
    apiKey: KEY,
    role: 'proposer',
    price: { input: 0, output: 0 },
    outputTokenAllowance: 100,
  });
  const send = (method: string, path: string, body?: object) =>
    fetch(`${proxy.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${proxy.token}`, 'x-api-key': proxy.token, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  return { upstream, proxy, send };
}

const FOREIGN: [string, string][] = [
  ['GET', '/v1/files'],
  ['POST', '/v1/files'],
  ['POST', '/v1/batches'],
  ['GET', '/v1/organizations/org-1/api_keys'],
  ['DELETE', '/v1/messages/batches/b1'],
  ['POST', '/v1/messages/../files'],
  ['POST', '/v1/%2e%2e/v1/files'],
  ['GET', '/v1/messages'],
];

describe('metering proxy allowlist', { concurrency: true, timeout: 30_000 }, () => {
  it('anthropic: forwards POST /v1/messages with the real key, refuses everything else unforwarded', async () => {
    const { upstream, proxy, send } = await proxied('anthropic');
    for (const [method, path] of FOREIGN) {
      const res = await send(method, path, method === 'GET' || method === 'DELETE' ? undefined : { model: 'm' });
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.match(await res.text(), /not forwarded; only POST \/v1\/messages/);
    }
    assert.equal(upstream.calls, 0, 'no refused request reached the upstream');
    const ok = await send('POST', '/v1/messages?beta=true', {
      model: 'claude-haiku-4-5',
      max_tokens: 20,
      messages: [{ role: 'user', content: 'hi' }],
    });
    assert.equal(ok.status, 200);
    assert.equal(upstream.calls, 1);
    assert.equal(upstream.requests[0]!.headers['x-api-key'], KEY);
    assert.equal(proxy.calls.filter((c) => c.refused).length, FOREIGN.length);
    await proxy.close();
  });

  it('openai: forwards the responses and chat completions endpoints only', async () => {
    const { upstream, proxy, send } = await proxied('openai');
    for (const [method, path] of [...FOREIGN, ['POST', '/v1/messages'] as [string, string]]) {
      const res = await send(method, path, method === 'GET' || method === 'DELETE' ? undefined : { model: 'm' });
      assert.equal(res.status, 404, `${method} ${path}`);
    }
    assert.equal(upstream.calls, 0);
    const ok = await send('POST', '/v1/chat/completions', {
      model: 'gpt',
      messages: [{ role: 'user', content: 'hi' }],
    });
    assert.equal(ok.status, 200);
    assert.equal(upstream.requests[0]!.headers.authorization, `Bearer ${KEY}`);
    await proxy.close();
  });
});
