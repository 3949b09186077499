/**
 * fapo's proposer tools over MCP, driven by the MCP SDK's own client: the same tools with the same
 * guardrails as the built-in agent (held-out data, paths outside the workspace and out-of-scope
 * writes refused as tool errors), both in memory and over streamable HTTP behind a bearer token.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { createProposerTools } from '../../../../src/optimize/fapo/agent/tools.ts';
import { AgentSession } from '../../../../src/optimize/fapo/agent/transcript.ts';
import { createProposerMcpServer } from '../../../../src/optimize/fapo/mcp/bridge.ts';
import { serveMcpOverHttp } from '../../../../src/optimize/fapo/mcp/http.ts';
import { makeInput, makeServices, makeWorkspace, type Workspace } from '../agent/helpers.ts';

const textOf = (result: { content: unknown }) =>
  (result.content as { type: string; text: string }[]).map((c) => c.text).join('\n');

describe('proposer tools over MCP', () => {
  let ws: Workspace;
  before(() => {
    ws = makeWorkspace();
  });
  after(() => ws.cleanup());

  async function connect() {
    const input = makeInput(ws, makeServices(ws));
    const session = new AgentSession(1, 'prompt', false);
    const server = createProposerMcpServer(createProposerTools(input, session));
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(clientSide);
    return { client, session, close: () => client.close() };
  }

  it('lists exactly the proposer tools, with their input schemas', async () => {
    const { client, close } = await connect();
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), [
      'finish',
      'list_failures',
      'list_files',
      'quick_check',
      'read_file',
      'view_attribution',
      'view_case',
      'view_memory',
      'write_variant',
    ]);
    const viewCase = tools.find((t) => t.name === 'view_case')!;
    assert.deepEqual(viewCase.inputSchema.required, ['id']);
    await close();
  });

  it('refuses held-out data, escapes and out-of-scope writes as tool errors, and records them', async () => {
    const { client, session, close } = await connect();
    const test = await client.callTool({ name: 'read_file', arguments: { path: 'data/test.jsonl' } });
    assert.equal(test.isError, true);
    assert.match(textOf(test as never), /held-out data/);
    const outside = await client.callTool({ name: 'read_file', arguments: { path: '../outside.txt' } });
    assert.equal(outside.isError, true);
    assert.match(textOf(outside as never), /outside the workspace/);
    const valCase = await client.callTool({ name: 'view_case', arguments: { id: ws.val[0]!.id } });
    assert.equal(valCase.isError, true);
    assert.match(textOf(valCase as never), /only train cases/);
    const scope = await client.callTool({
      name: 'write_variant',
      arguments: { params: { k: 9 }, hypothesis: 'more passages', technique: 'param-tuning' },
    });
    assert.equal(scope.isError, true);
    assert.match(textOf(scope as never), /write refused/);
    const badArgs = await client.callTool({ name: 'view_case', arguments: { id: 42 } });
    assert.equal(badArgs.isError, true);
    assert.deepEqual(
      session.summary.toolCalls.map((c) => [c.tool, c.ok]),
      [
        ['read_file', false],
        ['read_file', false],
        ['view_case', false],
        ['write_variant', false],
      ],
    );
    assert.equal(session.draft, undefined);
    await close();
  });

  it('serves a clean write, and the write becomes the session draft', async () => {
    const { client, session, close } = await connect();
    const result = await client.callTool({
      name: 'write_variant',
      arguments: {
        prompts: { answer: `${ws.parent.prompts.answer}\nGive the bare entity name.` },
        hypothesis: 'bare answers score',
        technique: 'format-constraints',
      },
    });
    assert.notEqual(result.isError, true, textOf(result as never));
    assert.equal(session.draft?.technique, 'format-constraints');
    await close();
  });

  it('over streamable HTTP, answers only clients holding its bearer token', async () => {
    const input = makeInput(ws, makeServices(ws));
    const server = createProposerMcpServer(createProposerTools(input, new AgentSession(1, 'prompt', false)));
    const endpoint = await serveMcpOverHttp(server);
    try {
      assert.match(endpoint.url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
      const stranger = await fetch(endpoint.url, { method: 'POST', body: '{}' });
      assert.equal(stranger.status, 401);
      const client = new Client({ name: 'test', version: '1' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(endpoint.url), {
          requestInit: { headers: { authorization: `Bearer ${endpoint.token}` } },
        }),
      );
      const listed = await client.callTool({ name: 'list_files', arguments: {} });
      assert.match(textOf(listed as never), /prompts\/answer\.md/);
      await client.close();
    } finally {
      await endpoint.close();
    }
  });
});
