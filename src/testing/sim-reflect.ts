/**
 * `sim:reflect`: a scripted STAND-IN for GEPA's reflection model, NOT a language model. It reads the
 * reflection prompt GEPA sends (current instruction in the first fenced block, examples with
 * feedback in the second) and returns the instruction with one rule added to its first line, chosen
 * from the feedback: answers wrapped in a sentence → "reply with only the short answer"; abstentions
 * → "always give your best guess"; an agent that called no tool → "look up the facts with your tools"
 * (which the support-desk example's `sim:support` agent obeys); otherwise a note naming an expected
 * answer (a domain fact). It exists so GEPA runs offline on the example tasks (whose `sim:qa` reader
 * and `sim:support` agent react to those rules); its output must never be presented as a real model's.
 */
import type { SimCall } from '../models/sim.ts';

const RULES: { when: RegExp; rule: string }[] = [
  { when: /got "(Based on|.*the answer is)/i, rule: 'Reply with only the short answer, no explanation.' },
  { when: /cannot determine/i, rule: 'If the notes are incomplete, always give your best guess.' },
  { when: /^Tool calls: none$/m, rule: 'Look up the facts with your tools; never answer from memory.' },
];

export function simReflect(call: SimCall): string {
  const prompt = call.messages.map((m) => m.content).join('\n');
  const fences = prompt.split('```');
  const current = (fences[1] ?? '').trim();
  const examples = fences[3] ?? '';
  const rule =
    RULES.find((r) => r.when.test(examples) && !current.includes(r.rule))?.rule ??
    (/Expected "([^"]+)"/.exec(examples)
      ? `Answers are short names, such as "${/Expected "([^"]+)"/.exec(examples)![1]}".`
      : 'Be precise.');
  const lines = current.split('\n');
  const first = lines.findIndex((l) => /^System:/.test(l));
  const at = first === -1 ? 0 : first;
  lines[at] = first === -1 ? `${rule}\n${lines[at] ?? ''}` : `${lines[at]} ${rule}`;
  return `Here is the improved instruction:\n\`\`\`\n${lines.join('\n')}\n\`\`\``;
}
