import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { FapoError } from '../util/errors.ts';

export const CorpusDocSchema = z.object({
  id: z.union([z.string().min(1), z.number()]).transform(String),
  title: z.string(),
  text: z.string(),
});
export type CorpusDoc = z.infer<typeof CorpusDocSchema>;

/** Parse a JSONL corpus of `{id, title, text}`; blank lines are skipped, anything else malformed is an error. */
export function parseCorpus(content: string, path: string): CorpusDoc[] {
  const docs: CorpusDoc[] = [];
  const seen = new Map<string, number>();
  const lines = content.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const where = `${path}:${i + 1}`;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (err) {
      throw new FapoError(
        `${where}: not valid JSON (${(err as Error).message})`,
        'Each corpus line must be one JSON object {"id", "title", "text"}.',
      );
    }
    const parsed = CorpusDocSchema.safeParse(raw);
    if (!parsed.success) {
      throw new FapoError(
        `${where}: not a corpus document: ${z.prettifyError(parsed.error)}`,
        'Each corpus line must be {"id": string, "title": string, "text": string}.',
      );
    }
    const first = seen.get(parsed.data.id);
    if (first !== undefined) {
      throw new FapoError(
        `${where}: duplicate document id "${parsed.data.id}" (first on line ${first})`,
        'Give every corpus document a unique id.',
      );
    }
    seen.set(parsed.data.id, i + 1);
    docs.push(parsed.data);
  }
  return docs;
}

export async function readCorpus(path: string): Promise<CorpusDoc[]> {
  return parseCorpus(await readFile(path, 'utf8'), path);
}
