import { Store } from '../../eval/store.ts';
import { readTask } from '../../task/load.ts';
import { table } from '../format.ts';

export async function variantsCommand(taskDir: string, flags: { json?: boolean }): Promise<number> {
  const task = await readTask(taskDir);
  const store = Store.open(task.dir);
  try {
    const variants = store.listVariants();
    if (flags.json) {
      process.stdout.write(
        `${JSON.stringify(
          variants.map(({ chainSource: _c, prompts: _p, ...v }) => v),
          null,
          2,
        )}\n`,
      );
      return 0;
    }
    const t = table(['v', 'hash', 'level', 'parent', 'technique', 'created by', 'hypothesis']);
    const seqOf = new Map(variants.map((v) => [v.hash, v.seq]));
    for (const v of variants) {
      t.push([
        `v${v.seq}`,
        v.hash.slice(0, 10),
        v.level,
        v.parent ? `v${seqOf.get(v.parent)}` : '-',
        v.technique ?? '',
        v.createdBy,
        (v.hypothesis ?? '').slice(0, 60),
      ]);
    }
    console.log(variants.length ? t.toString() : 'No variants yet: run `fapo eval` or `fapo optimize` first.');
    return 0;
  } finally {
    store.close();
  }
}
