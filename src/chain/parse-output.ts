import type { OutputSpec } from './types.ts';

export interface ParsedOutput {
  output: unknown;
  /** Non-fatal problems (a field not found …), recorded as step diagnostics. */
  diagnostics: string[];
}

/** JSON Schema for structured output, or undefined when the step parses text. */
export function outputSchema(spec: OutputSpec | undefined): Record<string, unknown> | undefined {
  return spec && typeof spec === 'object' && 'json' in spec ? spec.json : undefined;
}

export function parseOutput(spec: OutputSpec | undefined, text: string, object: unknown): ParsedOutput {
  if (!spec || spec === 'text') return { output: text.trim(), diagnostics: [] };
  if ('json' in spec) return { output: object, diagnostics: object === undefined ? ['structured output missing'] : [] };
  return parseFields(spec.fields, text);
}

/**
 * DSPy-style field parsing: `[[ ## field ## ]]` sections, or `field: value` lines. A single-field
 * spec whose marker is absent takes the whole text, so a model that ignores the format still yields
 * an output (with a diagnostic, so attribution can see the format slip).
 */
export function parseFields(fields: string[], text: string): ParsedOutput {
  const out: Record<string, string> = {};
  const diagnostics: string[] = [];
  const sections = [...text.matchAll(/\[\[\s*##\s*([\w ]+?)\s*##\s*\]\]/g)];
  if (sections.length > 0) {
    sections.forEach((m, i) => {
      const name = m[1]!.trim();
      const end = i + 1 < sections.length ? sections[i + 1]!.index! : text.length;
      if (fields.includes(name)) out[name] = text.slice(m.index! + m[0].length, end).trim();
    });
  } else {
    const names = fields.map(escapeRegExp).join('|');
    const line = new RegExp(`^\\s*\\**(${names})\\**\\s*:\\s*`, 'gim');
    const hits = [...text.matchAll(line)];
    hits.forEach((m, i) => {
      const end = i + 1 < hits.length ? hits[i + 1]!.index! : text.length;
      const name = fields.find((f) => f.toLowerCase() === m[1]!.toLowerCase())!;
      out[name] = text.slice(m.index! + m[0].length, end).trim();
    });
  }
  for (const f of fields) {
    if (out[f] !== undefined) continue;
    if (fields.length === 1) {
      out[f] = text.trim();
      diagnostics.push(`field "${f}" not marked in the output; used the whole text`);
    } else {
      out[f] = '';
      diagnostics.push(`field "${f}" not found in the output`);
    }
  }
  return { output: out, diagnostics };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
