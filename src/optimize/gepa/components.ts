/**
 * What GEPA may rewrite in a chain: the prompt templates of its llm and agent steps, and the
 * descriptions of the tools its agent steps can call (prompt-set key `tools/<tool>`, the file
 * prompts/tools/<tool>.md), each with the steps whose records show it at work.
 */
import { minimatch } from 'minimatch';
import { resolveList, searchToolDescription } from '../../chain/agent/resolve.ts';
import { toolDescriptionPrompt } from '../../chain/tools/descriptions.ts';
import type { ChainStructure } from '../../chain/types.ts';

export interface GepaComponents {
  /** Component → the steps that use it, components in step order (templates before tool descriptions). */
  stepsByComponent: Record<string, string[]>;
  /** Tool descriptions the seed's prompt set does not override: the text the model sees today. */
  defaults: Record<string, string>;
}

/**
 * The components of a chain. An agent step's tools are its patterns matched against the workspace's
 * tools and a `search:<resource>` tool per resource; MCP tools are left out (their descriptions come
 * from servers GEPA does not start). A tool list given as `${params.x}` is read from `params`.
 */
export function gepaComponents(
  structure: ChainStructure,
  prompts: Record<string, string>,
  params: Record<string, unknown>,
  resources: readonly string[],
): GepaComponents {
  const stepsByComponent: Record<string, string[]> = {};
  const toolSteps: Record<string, string[]> = {};
  const defaults: Record<string, string> = {};
  const known = new Map<string, string>([
    ...(structure.tools ?? []).map((t) => [t.name, t.description] as const),
    ...resources.map((r) => [`search:${r}`, searchToolDescription(r)] as const),
  ]);
  for (const step of structure.steps) {
    if (step.kind !== 'llm' && step.kind !== 'agent') continue;
    const template = step.prompt ?? step.name;
    if (template in prompts) (stepsByComponent[template] ??= []).push(step.name);
    if (step.kind !== 'agent') continue;
    const patterns = resolveList(step.tools ?? [], { input: {}, params, steps: {}, vars: {} });
    for (const [tool, description] of known) {
      if (!patterns.some((p) => minimatch(tool, p))) continue;
      const component = toolDescriptionPrompt(tool);
      (toolSteps[component] ??= []).push(step.name);
      if (!(component in prompts)) defaults[component] = description;
    }
  }
  return { stepsByComponent: { ...stepsByComponent, ...toolSteps }, defaults };
}
