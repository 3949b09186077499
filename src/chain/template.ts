import type { ChatMessage, Role } from '../models/types.ts';

/** `${a.b.c}` placeholders; the names are dotted paths into the render context. */
const PLACEHOLDER = /\$\{\s*([A-Za-z_][\w]*(?:\.[\w-]+)*)\s*\}/g;

export interface RenderContext {
  input: Record<string, unknown>;
  params: Record<string, unknown>;
  steps: Record<string, { output: unknown }>;
  vars: Record<string, unknown>;
}

export interface Rendered {
  text: string;
  /** Values substituted, by placeholder path (for the step record). */
  used: Record<string, unknown>;
  /** One message per placeholder that could not be resolved; the placeholder renders empty. */
  missing: string[];
}

export function templateReferences(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

/** The step names a template reads through `${steps.<name>...}`. */
export function referencedSteps(template: string): string[] {
  return [
    ...new Set(
      templateReferences(template)
        .filter((r) => r.startsWith('steps.'))
        .map((r) => r.split('.')[1]!),
    ),
  ];
}

// Templates repeat a handful of paths on every render: split each once.
const pathParts = new Map<string, readonly string[]>();
function partsOf(path: string): readonly string[] {
  let parts = pathParts.get(path);
  if (parts === undefined) {
    parts = path.split('.');
    if (pathParts.size < 10_000) pathParts.set(path, parts);
  }
  return parts;
}

export function lookupPath(ctx: RenderContext, path: string): { found: boolean; value: unknown } {
  let value: unknown = ctx;
  for (const part of partsOf(path)) {
    if (value === null || typeof value !== 'object' || !(part in (value as object)))
      return { found: false, value: undefined };
    value = (value as Record<string, unknown>)[part];
  }
  return { found: value !== undefined, value };
}

/** How a value appears inside a prompt: passages as a numbered list, objects as JSON. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every(isPassageLike)) {
    return value.map((p, i) => `[${i + 1}] «${p.title} | ${p.text}»`).join('\n');
  }
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join('\n');
  return JSON.stringify(value);
}

function isPassageLike(v: unknown): v is { title: string; text: string } {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { title?: unknown }).title === 'string' &&
    typeof (v as { text?: unknown }).text === 'string'
  );
}

export function renderTemplate(template: string, ctx: RenderContext): Rendered {
  const used: Record<string, unknown> = {};
  const missing: string[] = [];
  const text = template.replace(PLACEHOLDER, (_m, path: string) => {
    const { found, value } = lookupPath(ctx, path);
    if (!found) {
      missing.push(`missing template variable \${${path}}`);
      return '';
    }
    used[path] = value;
    return formatValue(value);
  });
  return { text, used, missing };
}

const ROLE_MARKER = /^(System|User|Assistant):[ \t]*/gm;

/**
 * Splits a rendered template into chat messages at `System:` / `User:` / `Assistant:` markers at the
 * start of a line. Text before the first marker (or a template without markers) is a user message.
 */
export function toMessages(text: string): ChatMessage[] {
  const markers = [...text.matchAll(ROLE_MARKER)];
  if (markers.length === 0) return [{ role: 'user', content: text.trim() }];
  const messages: ChatMessage[] = [];
  const head = text.slice(0, markers[0]!.index).trim();
  if (head) messages.push({ role: 'user', content: head });
  markers.forEach((m, i) => {
    const start = m.index! + m[0].length;
    const end = i + 1 < markers.length ? markers[i + 1]!.index! : text.length;
    messages.push({ role: m[1]!.toLowerCase() as Role, content: text.slice(start, end).trim() });
  });
  return messages;
}
