/** The explorer's case view shows an agent step's tool loop: turns, calls, arguments, results and errors. */
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { describe, it } from 'node:test';
import { registerSimBehaviour } from '../../src/models/sim.ts';
import { createUiApp } from '../../src/ui/app.ts';
import { openWorkspaces } from '../../src/ui/workspaces.ts';
import { CALC_TOOLS, agentWorkspace, evaluateBaseline } from '../chain/agent/helpers.ts';

describe('fapo ui: agent steps', () => {
  it('renders the tool loop of a case, errors marked, hostile tool output as text', async () => {
    registerSimBehaviour('ui-agent', (call) =>
      call.messages.some((m) => m.role === 'tool')
        ? '<b>done</b>'
        : {
            toolCalls: [
              { name: 'add', args: { a: 1, b: 2 } },
              { name: 'boom', args: {} },
            ],
          },
    );
    const dir = agentWorkspace({
      model: 'sim:ui-agent',
      tools: ['add', 'boom'],
      files: { 'tools/calc.ts': CALC_TOOLS },
    });
    const [result] = await evaluateBaseline(dir);
    const workspaces = openWorkspaces([dir]);
    try {
      const app = createUiApp({ workspaces });
      const runs = await (await app.request('/')).text();
      const runId = /\/run\/([0-9a-f]+)/.exec(runs)?.[1];
      assert.ok(runId, 'the run is listed');
      const ws = basename(dir); // the explorer names a workspace after its folder
      const page = await (await app.request(`/w/${ws}/run/${runId}/case/${result!.caseId}?trial=0`)).text();
      assert.match(page, /stopped: final; 2 turn\(s\), 2 tool call\(s\); tools: add, boom/);
      assert.match(page, /<td>add <small>\(workspace\)<\/small><\/td>/);
      assert.match(page, /<tr class="error"><td>0<\/td><td>boom/);
      assert.match(page, /thrown: the boom tool exploded/);
      assert.ok(page.includes('&lt;b&gt;done&lt;/b&gt;'), 'the model text is escaped');
    } finally {
      for (const w of workspaces) w.store.close();
    }
  });
});
