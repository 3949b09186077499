import type { MetricResult } from './types.ts';

const INTEGER = /-?\d[\d,]*/g;

function parseInteger(text: string): number | null {
  const cleaned = text.replace(/[$\s]|\\[,!;]|\\text\{|\}|\{/g, '').replace(/,(?=\d{3}\b)/g, '');
  return /^-?\d+$/.test(cleaned) ? Number(cleaned) : null;
}

/** Content of the last `\boxed{…}` / `\fbox{…}`, braces balanced. */
export function lastBoxed(text: string): string | null {
  const start = Math.max(text.lastIndexOf('\\boxed{'), text.lastIndexOf('\\fbox{'));
  if (start === -1) return null;
  const open = text.indexOf('{', start);
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return text.slice(open + 1, i);
  }
  return null;
}

/**
 * The integer a model answered with. GEPA casts the answer field with `int(...)`; models often wrap it in
 * prose, so this also accepts, in order: a bare integer (zero padding allowed), the last \boxed{} content,
 * the last integer after "answer", and finally the last integer in the text.
 */
export function extractIntegerAnswer(answer: string): number | null {
  const whole = parseInteger(answer.trim());
  if (whole !== null) return whole;
  const boxed = lastBoxed(answer);
  if (boxed !== null) return parseInteger(boxed);
  const afterCue = answer
    .split(/answer/i)
    .slice(1)
    .at(-1);
  const last = (afterCue?.match(INTEGER) ?? answer.match(INTEGER))?.at(-1);
  return last === undefined ? null : parseInteger(last);
}

/** AIME: integer exact match; gold answers may be zero-padded strings such as "033". */
export function scoreAime(answer: string, goldAnswer: string | number): MetricResult {
  const extracted = extractIntegerAnswer(answer);
  const correct = extracted !== null && extracted === Number(goldAnswer);
  return { score: correct ? 1 : 0, breakdown: { correct: correct ? 1 : 0, answerFound: extracted === null ? 0 : 1 } };
}

/** GEPA's AIME feedback: the verdict, the correct answer, and the full reference solution when one is given (train only). */
export function aimeFeedback(answer: string, gold: { answer: string | number; solution?: string }): string {
  const extracted = extractIntegerAnswer(answer);
  const verdict =
    extracted === null
      ? `No integer answer could be read from the response. The correct answer is ${Number(gold.answer)}.`
      : extracted === Number(gold.answer)
        ? `The answer ${extracted} is correct.`
        : `The answer ${extracted} is incorrect. The correct answer is ${Number(gold.answer)}.`;
  return gold.solution ? `${verdict}\nHere is the full reference solution:\n${gold.solution}` : verdict;
}
