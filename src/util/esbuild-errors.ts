import { resolve } from 'node:path';

/** The `file:line:column: message` lines of an esbuild build failure; undefined for any other error. */
export function buildFailureText(err: unknown): string | undefined {
  const errors = (
    err as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }
  ).errors;
  if (!Array.isArray(errors)) return undefined;
  return errors
    .map((e) =>
      e.location ? `${resolve(e.location.file)}:${e.location.line}:${e.location.column}: ${e.text}` : e.text,
    )
    .join('; ');
}
