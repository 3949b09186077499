/**
 * The `sim:qa` behaviour: a deterministic toy reader for the example task's synthetic world. It is
 * NOT a language model and says nothing about how a real model would do; it exists so the demo and
 * the tests can run offline while still reacting to prompts the way the demo needs to show:
 *
 * - It reads only the facts written in its prompt, in the example corpus's four sentence shapes
 *   ("A was born in B.", "B is a city in C.", "The capital of C is D.", "T is a novel written by A.").
 * - Step type comes from the instruction: "search query" → writes the next-hop query (the furthest
 *   entity it can reach from the question); "summar…" → copies the fact sentences it sees; anything
 *   else → answers the question by following the facts.
 * - Answer format: without a brevity instruction ("only the answer", "concise", "short answer" …)
 *   about half of its answers are wrapped in a sentence, which exact match scores as wrong.
 * - Missing facts: it abstains ("I cannot determine …") unless told to always give a best guess, in
 *   which case it guesses an entity of the asked-for kind from its prompt.
 * - Temperature > 0: a summary drops one fact with probability 0.15 × temperature, seeded by the
 *   prompt, the sample key and the seed, so trials differ but every run is reproducible.
 */
import { sha256 } from '../util/hash.ts';
import { type SimCall, simRandom } from '../models/sim.ts';

type Relation = 'author' | 'born' | 'country' | 'capital';
interface Fact {
  rel: Relation;
  from: string;
  to: string;
  sentence: string;
}

const FACT_PATTERNS: { rel: Relation; re: RegExp }[] = [
  { rel: 'author', re: /(The [A-Z][a-z]+ [A-Z][a-z]+) is a novel written by ([A-Z][a-z]+ [A-Z][a-z]+)\./g },
  { rel: 'born', re: /([A-Z][a-z]+ [A-Z][a-z]+) was born in ([A-Z][a-z]+)\./g },
  { rel: 'country', re: /([A-Z][a-z]+) is a city in ([A-Z][a-z]+)\./g },
  { rel: 'capital', re: /The capital of ([A-Z][a-z]+) is ([A-Z][a-z]+)\./g },
];

const QUESTION_SHAPES: { re: RegExp; path: Relation[] }[] = [
  {
    re: /In which country was the author of (The [A-Z][a-z]+ [A-Z][a-z]+) born\?/,
    path: ['author', 'born', 'country'],
  },
  { re: /In which city was the author of (The [A-Z][a-z]+ [A-Z][a-z]+) born\?/, path: ['author', 'born'] },
  {
    re: /What is the capital of the country where ([A-Z][a-z]+ [A-Z][a-z]+) was born\?/,
    path: ['born', 'country', 'capital'],
  },
  { re: /In which country was ([A-Z][a-z]+ [A-Z][a-z]+) born\?/, path: ['born', 'country'] },
];

const BREVITY = /only (the|a|your) (short |final )?answer|concise|short answer|few words|no explanation|brief/i;
const ALWAYS_ANSWER =
  /always (give|provide|return) (an|a|your) (answer|best guess)|best guess|never (say|answer) that you cannot|do not abstain/i;

export function simQa(call: SimCall): string {
  const prompt = call.messages.map((m) => m.content).join('\n');
  const instruction = call.messages.find((m) => m.role === 'system')?.content ?? prompt;
  const facts = readFacts(prompt);
  const question = QUESTION_SHAPES.map((q) => ({ q, m: prompt.match(q.re) })).find((x) => x.m);
  const rand = simRandom(call, 'qa');
  const temperature = call.sampling.temperature ?? 0;

  if (/search query/i.test(instruction)) {
    if (!question) return prompt.split('\n').at(-1) ?? '';
    const walk = follow(facts, question.m![1]!, question.q.path);
    return walk.entities.at(-1)!;
  }
  if (/summar/i.test(instruction)) {
    const sentences = [...new Set(facts.map((f) => f.sentence))];
    if (temperature > 0 && sentences.length > 1 && rand() < 0.15 * temperature)
      sentences.splice(Math.floor(rand() * sentences.length), 1);
    return sentences.join(' ') || 'The passages contain no relevant facts.';
  }
  if (!question) return 'I cannot determine the answer from the passages.';
  const walk = follow(facts, question.m![1]!, question.q.path);
  let answer: string;
  if (walk.complete) answer = walk.entities.at(-1)!;
  else if (ALWAYS_ANSWER.test(prompt)) answer = guess(facts, question.q.path.at(-1)!) ?? walk.entities.at(-1)!;
  else return 'I cannot determine the answer from the passages.';
  if (BREVITY.test(prompt)) return answer;
  return hashUnit(question.m![0]) < 0.5 ? `Based on the passages, the answer is ${answer}.` : answer;
}

function readFacts(text: string): Fact[] {
  const facts: Fact[] = [];
  for (const { rel, re } of FACT_PATTERNS) {
    for (const m of text.matchAll(re)) facts.push({ rel, from: m[1]!, to: m[2]!, sentence: m[0] });
  }
  return facts;
}

function follow(facts: Fact[], start: string, path: Relation[]): { entities: string[]; complete: boolean } {
  const entities = [start];
  for (const rel of path) {
    const next = facts.find((f) => f.rel === rel && f.from === entities.at(-1));
    if (!next) return { entities, complete: false };
    entities.push(next.to);
  }
  return { entities, complete: true };
}

/** A best guess: the first entity in the prompt of the kind the question asks for. */
function guess(facts: Fact[], rel: Relation): string | undefined {
  const kind = facts.find((f) => f.rel === rel);
  if (kind) return kind.to;
  if (rel === 'country') return facts.find((f) => f.rel === 'capital')?.from;
  return undefined;
}

function hashUnit(text: string): number {
  return parseInt(sha256(text).slice(0, 8), 16) / 2 ** 32;
}
