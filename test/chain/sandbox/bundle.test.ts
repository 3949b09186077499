import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { bundleChain } from '../../../src/chain/sandbox/bundle.ts';

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', 'examples');

describe('sandbox chain bundle', () => {
  it('leaves zod out of chains without tools, and bundles workspace tools with it when there are some', async () => {
    const plain = await bundleChain(join(EXAMPLES, 'two-hop-qa', 'chain.ts'), () => true);
    assert.doesNotMatch(plain, /zod/, 'a chain child does not load zod for nothing');
    const desk = join(EXAMPLES, 'support-desk');
    const withTools = await bundleChain(join(desk, 'chain.ts'), () => true, [join(desk, 'tools', 'shop.ts')]);
    assert.match(withTools, /import \{ z \} from "file:\/\/\/.*\/zod\//);
    assert.match(withTools, /__fapoTools/);
    assert.match(withTools, /cancel_order/);
  });
});
