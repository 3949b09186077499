/**
 * Tool descriptions as prompt files: `prompts/tools/<tool>.md` overrides a tool's description per
 * variant (key `tools/<tool>` in the variant's prompt set), so the optimizer edits it at the prompt
 * level like any template.
 */
export const TOOL_DESCRIPTIONS_DIR = 'tools';

const PREFIX = `${TOOL_DESCRIPTIONS_DIR}/`;

/** The prompt-set key of a tool's description override. */
export function toolDescriptionPrompt(tool: string): string {
  return `${PREFIX}${tool}`;
}

/** Whether a prompt-set key is a tool description rather than a step template. */
export function isToolDescription(name: string): boolean {
  return name.startsWith(PREFIX);
}
