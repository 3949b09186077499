import { formatValue, templateReferences } from '../../chain/template.ts';
import type { AgentRecord } from '../../chain/types.ts';
import { type Rng, choice } from './rng.ts';

/** An llm or agent step execution as GEPA keeps it for reflection (persisted with the iteration). */
export interface StepTrace {
  step: string;
  inputs: Record<string, unknown>;
  output: unknown;
  rawText?: string;
  error?: string;
}

/** One minibatch case: its score (mean over trials, failures as 0), feedback and llm step traces. */
export interface MinibatchCase {
  caseId: string;
  score: number;
  feedback?: string;
  steps: StepTrace[];
}

/** Longest tool result shown to the reflection model, in characters (results can be whole records). */
const MAX_RESULT_CHARS = 400;

/** An agent step's output for reflection: each tool call with its arguments and result, then the answer. */
export function agentTranscript(output: unknown, agent: AgentRecord): string {
  const calls = agent.toolCalls.map((c) => {
    const outcome = c.error ? `error (${c.error.kind}): ${c.error.message}` : formatValue(c.result);
    const shown = outcome.length > MAX_RESULT_CHARS ? `${outcome.slice(0, MAX_RESULT_CHARS)}…` : outcome;
    return `- ${c.tool}(${JSON.stringify(c.args)}) → ${shown}`;
  });
  return [
    calls.length ? `Tool calls:\n${calls.join('\n')}` : 'Tool calls: none',
    `Answer (after ${agent.turns.length} turn${agent.turns.length === 1 ? '' : 's'}, ${agent.stopReason}): ${formatValue(output)}`,
  ].join('\n');
}

export type ReflectiveRecord = { Inputs: Record<string, string>; 'Generated Outputs': string; Feedback: string };

/**
 * The reflective dataset of one component (prompt template), as the reference's DSPy adapter builds
 * it: per minibatch case, one execution of a step that uses the template — a failed parse if there
 * is one, else a seeded random pick — with its inputs, output and the case's feedback (or, when the
 * task has no feedback function, its score).
 */
export function reflectiveDataset(
  cases: MinibatchCase[],
  stepsOfComponent: ReadonlySet<string>,
  rng: Rng,
): ReflectiveRecord[] {
  const records: ReflectiveRecord[] = [];
  for (const c of cases) {
    const traces = c.steps.filter((s) => stepsOfComponent.has(s.step));
    if (traces.length === 0) continue;
    const picked = traces.find((t) => t.error !== undefined) ?? choice(rng, traces);
    const inputs = Object.fromEntries(Object.entries(picked.inputs).map(([k, v]) => [k, formatValue(v)]));
    const output =
      picked.error !== undefined
        ? `Couldn't parse the output as per the expected output format. The model's raw response was:\n${picked.rawText ?? formatValue(picked.output)}\n(${picked.error})`
        : formatValue(picked.output);
    records.push({
      Inputs: inputs,
      'Generated Outputs': output,
      Feedback: c.feedback ?? `This trajectory got a score of ${c.score}.`,
    });
  }
  return records;
}

/** Markdown of the records: `# Example N`, a `##` heading per field, deeper headings for nested fields. */
export function renderRecords(records: ReflectiveRecord[]): string {
  const render = (value: unknown, level: number): string => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      return Object.entries(value)
        .map(([k, v]) => `${'#'.repeat(level)} ${k}\n${render(v, level + 1)}`)
        .join('\n');
    }
    return `${formatValue(value)}\n`;
  };
  return records.map((r, i) => `# Example ${i + 1}\n${render(r, 2)}`).join('\n\n');
}

/**
 * The reflection meta-prompt. Same structure as the reference's (current instruction in a fence, the
 * examples with feedback in a fence, then: infer the input format and describe the task, carry over
 * every niche or domain fact from the feedback, keep generalizable strategies, answer between triple
 * backticks), in our own words, plus one fapo line: the instruction is a template whose `${…}`
 * placeholders must survive. With `tool`, the text is that tool's description as an agent step shows
 * it, and the prompt asks for a better description instead.
 */
export function reflectionPrompt(currentInstruction: string, records: ReflectiveRecord[], tool?: string): string {
  const facts =
    'The feedback may contain niche, domain-specific facts the assistant needs in order to do the task well. The assistant will not see them again later, so put every such fact into the instruction. If the assistant used a strategy that generalizes to other inputs, spell that strategy out in the instruction as well.';
  const examples = [
    'Here are some task inputs the assistant received, the outputs it generated, and feedback on how good those outputs were:',
    '```',
    renderRecords(records),
    '```',
    '',
  ];
  if (tool !== undefined)
    return [
      `An assistant carrying out one step of a task could call the tool \`${tool}\`, which it was shown with this description:`,
      '```',
      currentInstruction,
      '```',
      '',
      ...examples,
      `Write a new, improved description of \`${tool}\`: what it does, when the assistant should call it, and how to read its results, so that the assistant uses it well.`,
      '',
      facts.replaceAll('the instruction', 'the description'),
      '',
      'Give the new description between triple backticks (```).',
    ].join('\n');
  return [
    'An assistant was given the following instruction to carry out one step of a task:',
    '```',
    currentInstruction,
    '```',
    '',
    ...examples,
    'Write a new, improved instruction for the assistant.',
    '',
    'Read the inputs closely, work out their format, and write a detailed description of the task.',
    '',
    facts,
    '',
    'The instruction is a template: keep every ${...} placeholder exactly as written, and keep any "System:" / "User:" line markers.',
    '',
    'Give the new instruction between triple backticks (```).',
  ].join('\n');
}

/**
 * The reference's parse: the text between the first and the last triple backticks, a language tag
 * after the opening fence dropped; an unclosed fence keeps everything after it; no fence, the whole text.
 */
export function extractInstruction(raw: string): string {
  const first = raw.indexOf('```');
  if (first === -1) return raw.trim();
  const last = raw.lastIndexOf('```');
  let body = last > first ? raw.slice(first + 3, last) : raw.slice(first + 3);
  const tag = /^[A-Za-z0-9_+-]*[ \t]*\n/.exec(body);
  if (tag) body = body.slice(tag[0].length);
  return body.trim();
}

/**
 * Keeps the template runnable: placeholders the reflection dropped are appended, one per line, so the
 * step still sees all its inputs. Returns the repaired text and what was re-added (for the log).
 */
export function repairPlaceholders(oldTemplate: string, newTemplate: string): { text: string; restored: string[] } {
  const kept = new Set(templateReferences(newTemplate));
  const restored = templateReferences(oldTemplate).filter((ref) => !kept.has(ref));
  if (restored.length === 0) return { text: newTemplate, restored };
  const lines = restored.map((ref) => `${ref.split('.').at(-1)}: \${${ref}}`);
  return { text: `${newTemplate.trimEnd()}\n${lines.join('\n')}`, restored };
}
