import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Store } from '../../../src/eval/store.ts';
import { ATTRIBUTION_DOC } from '../../../src/optimize/fapo/controller.ts';
import { loadSessionReportInput } from '../../../src/optimize/report/index.ts';
import { SessionState } from '../../../src/optimize/session-state.ts';
import { FapoError } from '../../../src/util/errors.ts';
import { tempWorkspace } from '../../eval/helpers.ts';
import { H, MEMORY, attribution, sessionInput } from './fixtures.ts';

describe('loadSessionReportInput', () => {
  it('reads the memory and every attribution round of the session (not other sessions)', () => {
    const dir = tempWorkspace();
    const store = Store.open(dir);
    try {
      const { outcome } = sessionInput();
      new SessionState(store, 's1').put('memory', MEMORY);
      store.putDoc(ATTRIBUTION_DOC, 's1:1:tag', attribution(1, H.v1));
      store.putDoc(ATTRIBUTION_DOC, 's1:3:tag', attribution(3, H.v2));
      store.putDoc(ATTRIBUTION_DOC, 's10:1:tag', attribution(1, H.v3));
      const input = loadSessionReportInput(store, outcome, { taskName: 'qa' });
      assert.deepEqual(input.memory, MEMORY);
      assert.deepEqual(
        input.attributions.map((a) => [a.round, a.variant]),
        [
          [1, H.v1.slice(0, 12)],
          [3, H.v2.slice(0, 12)],
        ],
      );
      assert.equal(input.lineage, undefined);
      assert.equal(input.taskName, 'qa');
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the damaged document', () => {
    const dir = tempWorkspace();
    const store = Store.open(dir);
    try {
      store.putDoc(ATTRIBUTION_DOC, 's1:2:x', { variant: 'abc', cases: 'oops', clusters: [] });
      assert.throws(
        () => loadSessionReportInput(store, sessionInput().outcome),
        (err: unknown) =>
          err instanceof FapoError && /attribution document s1:2:x is damaged at cases/.test(err.message),
      );
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
