import { ComputeEngine } from '@cortex-js/compute-engine';
import { lastBoxed } from './aime.ts';
import type { MetricResult } from './types.ts';

/*
 * LiveBench math scoring as described in benchmarks/livebench-math/source/SOURCE.md (LiveBench commit
 * 80e2e12, the GEPA-era rules). Each scorer returns a score in [0,1] and a debug line, which GEPA used
 * as its feedback text.
 */

export interface LiveBenchQuestion {
  subtask: string;
  groundTruth: string;
  /** The question prompt; the multiple-choice scorer reads the option texts from it. */
  question?: string;
}

export interface LiveBenchResult extends MetricResult {
  scorer: 'multiple_choice' | 'aime' | 'proof_rearrangement' | 'symbolic';
  debug: string;
}

export function scoreLiveBenchMath(rawAnswer: string, q: LiveBenchQuestion): LiveBenchResult {
  const answer = stripThinking(rawAnswer);
  const [first, second] = q.subtask.split('_');
  if (first === 'amc' || first === 'smc' || second === 'amc')
    return multipleChoice(answer, q.groundTruth, q.question ?? '');
  if (first === 'aime') return aimeSubstring(answer, q.groundTruth);
  if (first === 'imo' || first === 'usamo') return proofRearrangement(answer, q.groundTruth);
  if (q.subtask.includes('amps_hard')) return symbolic(answer, q.groundTruth);
  throw new Error(`LiveBench math: no scorer for subtask "${q.subtask}"`);
}

function stripThinking(answer: string): string {
  const withoutBlocks = answer.replace(/<think>[\s\S]*?<\/think>/g, '');
  const close = withoutBlocks.lastIndexOf('</think>');
  return close === -1 ? withoutBlocks : withoutBlocks.slice(close + '</think>'.length);
}

const lastLineOf = (text: string): string => text.trim().split('\n').at(-1) ?? '';
const binary = (scorer: LiveBenchResult['scorer'], ok: boolean, debug: string): LiveBenchResult => ({
  scorer,
  score: ok ? 1 : 0,
  breakdown: { correct: ok ? 1 : 0 },
  debug,
});

function isRepeatedLetter(text: string, letter: string): boolean {
  const t = text.trim().toUpperCase();
  return t.length > 0 && [...t].every((c) => c === letter);
}

function optionText(question: string, letter: string): string {
  const match = new RegExp(`\\\\textbf\\{\\(${letter}\\)\\s*\\}(.*?)(?:\\\\qquad|\\$|\\n|$)`).exec(question);
  const text = match?.[1]?.replace(/[$~]/g, '').trim();
  return text ? text : 'FAILURE';
}

function multipleChoice(answer: string, groundTruth: string, question: string): LiveBenchResult {
  const letter = groundTruth.trim().toUpperCase();
  const solutions = [...answer.matchAll(/<solution>([\s\S]*?)<\/solution>/g)];
  const solution = solutions.at(-1)?.[1];
  if (solution !== undefined && isRepeatedLetter(solution, letter))
    return binary('multiple_choice', true, `<solution> tag holds ${letter}`);
  if (answer.includes(letter.repeat(4)))
    return binary('multiple_choice', true, `found ${letter.repeat(4)} in the answer`);
  const boxed = lastBoxed(answer);
  if (
    boxed !== null &&
    boxed
      .replace(/\\text\{/g, '')
      .replace(/[{}\\]/g, '')
      .trim()
      .toUpperCase() === letter
  ) {
    return binary('multiple_choice', true, `\\boxed{} holds ${letter}`);
  }
  const option = optionText(question, letter);
  if (answer.slice(-(20 + option.length)).includes(option))
    return binary('multiple_choice', true, `the text of option ${letter} ("${option}") ends the answer`);
  const lastLine = lastLineOf(answer).replace(/\*/g, '').trim();
  const parenthesised = /\(([^)]*)\)/.exec(lastLine)?.[1]?.trim();
  if (lastLine.toUpperCase() === letter || parenthesised?.toUpperCase() === letter)
    return binary('multiple_choice', true, `the last line names ${letter}`);
  return binary(
    'multiple_choice',
    false,
    `expected ${letter} (${letter.repeat(5)}); none of the accepted answer forms was found; last line: "${lastLine.slice(0, 80)}"`,
  );
}

function aimeSubstring(answer: string, groundTruth: string): LiveBenchResult {
  const tail = answer.slice(-50);
  return tail.includes(groundTruth)
    ? binary('aime', true, `"${groundTruth}" appears in the last 50 characters`)
    : binary(
        'aime',
        false,
        `"${groundTruth}" (three digits, zero-padded) does not appear in the last 50 characters: "${tail.trim()}"`,
      );
}

const NO_ANSWER = 'NO ANSWER';

/** Expression ids a model gave for the proof-rearrangement task (LiveBench's extraction steps 1–3). */
export function extractExpressionIds(answer: string): string[] {
  const lines = answer.split('\n');
  const cueLine = lines
    .map((l, i) => [l, i] as const)
    .filter(([l]) => /answer:/i.test(l))
    .at(-1);
  if (cueLine) {
    const [line, i] = cueLine;
    let tail = line.slice(line.toLowerCase().lastIndexOf('answer:') + 'answer:'.length);
    if (tail.trim() === '') tail = lines[i + 1] ?? '';
    return tail
      .replace(/\*\*/g, '')
      .replace(/\./g, '')
      .split(',')
      .map((item) => {
        const token = (item.trim().split(/\s+/).at(-1) ?? '').replace(/boxed|[${}\\<>]/g, '');
        return /^-?\d+$/.test(token) ? String(Number(token)) : NO_ANSWER;
      });
  }
  const boxed = lastBoxed(answer);
  const list = boxed ?? lastLineOf(answer);
  return list
    .split(',')
    .map((item) => item.replace(/^\D+|\D+$/g, ''))
    .filter((item) => item !== '')
    .map((item) => String(Number(item)));
}

/** Levenshtein distance over token sequences (fastest-levenshtein and friends only compare strings of characters). */
export function sequenceEditDistance(a: readonly string[], b: readonly string[]): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

function proofRearrangement(answer: string, groundTruth: string): LiveBenchResult {
  const gold = groundTruth.split(',').map((s) => String(Number(s.trim())));
  const predicted = extractExpressionIds(answer);
  const distance = sequenceEditDistance(predicted, gold);
  const score = 1 - distance / Math.max(predicted.length, gold.length);
  return {
    scorer: 'proof_rearrangement',
    score,
    breakdown: { editDistance: distance, predictedLength: predicted.length, goldLength: gold.length },
    debug: `predicted order [${predicted.join(', ')}], gold order [${gold.join(', ')}], edit distance ${distance}, score ${score.toFixed(3)}`,
  };
}

function normalizeModelLatex(text: string): string {
  return (
    text
      .replace(/\+ ?[Cc]\b/g, '')
      .replace(/\\[dt]frac/g, '\\frac')
      .replace(/\\left|\\right|\\[bB]ig[lr]|\\,|\\;|\n/g, '')
      .replace(/\\cdot/g, '*')
      // Not in LiveBench: the gold side gets "\ " → "*", and the same explicit space is common in answers.
      .replace(/\\ /g, '*')
  );
}

function normalizeGoldLatex(text: string): string {
  return text
    .replace(/\\left|\\right/g, '')
    .replace(/ \^/g, '^')
    .replace(/\\ /g, '*');
}

/** Minerva's `normalize_final_answer`, the parts LiveBench relies on. */
function normalizeFinalAnswer(text: string): string {
  let s = text.split('=').at(-1)!;
  for (const wrapper of ['text', 'textbf', 'overline', 'boxed']) {
    s = s.replace(new RegExp(`\\\\${wrapper}\\{(.*?)\\}`, 'g'), '$1');
  }
  // Minerva's shorthand fix also rewrites `\sqrt[n]{x}` into the unparseable `\sqrt{[}n]{x}`; `[` is excluded here.
  s = s
    .replace(/(frac)([^{])(.)/g, 'frac{$2}{$3}')
    .replace(/(sqrt)([^{[])/g, 'sqrt{$2}')
    .replace(/\$/g, '')
    .trim();
  return /^[\d,]+$/.test(s) ? s.replace(/,/g, '') : s;
}

function extractSymbolicAnswer(answer: string): string | null {
  const boxed = lastBoxed(answer);
  if (boxed !== null) return boxed;
  const dollarBlocks = lastLineOf(answer).match(/\$([^$]+)\$/g);
  const last = dollarBlocks?.at(-1);
  return last === undefined ? null : last.slice(1, -1).split('=').at(-1)!;
}

let engine: ComputeEngine | undefined;
// Probe points for free variables: sympy's simplify(gold − prediction) == 0 is replaced by numeric
// agreement at a few points, since no TypeScript CAS simplifies as sympy does.
const PROBES = [0.37, 1.21, 2.03];
const TOLERANCE = 1e-3;

/** Whether two LaTeX expressions agree numerically (complex values allowed) at every probe point. */
export function latexEquivalent(goldLatex: string, predictedLatex: string): boolean {
  engine ??= new ComputeEngine();
  const gold = engine.parse(goldLatex);
  const predicted = engine.parse(predictedLatex);
  if (!gold.isValid || !predicted.isValid) return false;
  const variables = [...new Set([...gold.unknowns, ...predicted.unknowns])];
  const probes = variables.length === 0 ? [0] : PROBES;
  return probes.every((p) => {
    const values = Object.fromEntries(variables.map((v, i) => [v, engine!.number(p + i * 0.11)]));
    const g = gold.subs(values).N();
    const q = predicted.subs(values).N();
    const [gr, gi, qr, qi] = [g.re, g.im, q.re, q.im];
    if (![gr, gi, qr, qi].every(Number.isFinite)) return false;
    return Math.hypot(gr - qr, gi - qi) <= TOLERANCE * Math.max(1, Math.hypot(gr, gi));
  });
}

function symbolic(answer: string, groundTruth: string): LiveBenchResult {
  const gold = normalizeGoldLatex(groundTruth);
  const extracted = extractSymbolicAnswer(normalizeModelLatex(answer));
  if (extracted === null) {
    const ok = answer.trim().replace(/\.$/, '').endsWith(groundTruth);
    return binary(
      'symbolic',
      ok,
      ok
        ? 'no boxed answer, but the answer ends with the ground truth'
        : `no \\boxed{} answer found; expected ${groundTruth}`,
    );
  }
  const predicted = normalizeFinalAnswer(extracted);
  const ok = latexEquivalent(gold, predicted);
  return binary(
    'symbolic',
    ok,
    ok ? `${predicted} is equivalent to ${groundTruth}` : `${predicted} is not equivalent to ${groundTruth}`,
  );
}

/** GEPA's LiveBench feedback is the scorer's debug output; the correct answer is added for context. */
export function livebenchMathFeedback(rawAnswer: string, q: LiveBenchQuestion): string {
  const result = scoreLiveBenchMath(rawAnswer, q);
  return `Score ${result.score.toFixed(2)} (${result.scorer} scorer): ${result.debug}. The correct answer is ${q.groundTruth}.`;
}
