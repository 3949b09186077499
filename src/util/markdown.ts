/**
 * Text shown literally inside Markdown (table cells, list items): backslashes, pipes and emphasis
 * characters escaped, `&` and `<` as entities (model-written text must not become HTML), one line.
 */
export function markdownText(text: string): string {
  return text
    .replace(/[\\|*_`]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/\r?\n/g, ' ');
}
