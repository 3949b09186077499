import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXACT_ORACLE_IDS, measureAgreement } from '../../../src/bench/ifbench/agreement.ts';

// Levels reached on the shipped 147 reference rows (170 instruction checks); see docs/ifbench-checkers.md.
const MIN_AGREEMENT = { strict: 167, loose: 167 } as const;

describe('agreement with the reference result vectors', () => {
  for (const mode of ['strict', 'loose'] as const) {
    it(`${mode}: exact on every exact-oracle checker, and at least ${MIN_AGREEMENT[mode]}/170 overall`, () => {
      const report = measureAgreement(mode);
      assert.equal(report.total, 170);
      const exactMisses = report.disagreements.filter((d) => EXACT_ORACLE_IDS.has(d.id));
      assert.deepEqual(
        exactMisses.map((d) => `row ${d.row} ${d.id}`),
        [],
      );
      const exactChecks = Object.entries(report.byId)
        .filter(([id]) => EXACT_ORACLE_IDS.has(id))
        .reduce((n, [, c]) => n + c.total, 0);
      assert.equal(exactChecks, 113);
      assert.ok(report.agree >= MIN_AGREEMENT[mode], `agreement fell to ${report.agree}/170`);
      // The remaining disagreements are the documented words:start_verb ones (NLTK's POS tagger).
      assert.ok(report.disagreements.every((d) => d.id === 'words:start_verb'));
    });
  }
});
