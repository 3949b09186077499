/**
 * The agent's tools. Each one acts only through ProposerServices and the ProposerInput: the model
 * never touches the filesystem, never sees a validation or test case, and its only way to produce a
 * proposal is an accepted write_variant call. A refused call throws ToolRefusal, which the AI SDK
 * hands back to the model as a tool error; the loop goes on.
 */
import { tool } from 'ai';
import { z } from 'zod';
import type { ProposerInput, ProposerServices } from '../proposer.ts';
import { buildDraft, writeVariantSchema } from './draft.ts';
import { checkReadable, listReadable } from './readable-files.ts';
import type { AgentSession } from './transcript.ts';
import { attributionView, caseView, clip, failureList, memoryView } from './views.ts';

export class ToolRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolRefusal';
  }
}

const MAX_FILE_CHARS = 20_000;
const MAX_QUICK_CHECK_CASES = 5;
const MAX_QUICK_CHECKS = 3;
const NOT_AVAILABLE = 'not available: only train cases can be viewed';

/** What every tool works through: the round's input and services, and the session it records into. */
interface ToolContext {
  input: ProposerInput;
  services: ProposerServices;
  session: AgentSession;
  /** Records the refused call and throws the refusal the AI SDK hands back to the model. */
  refuse(name: string, reason: string): never;
}

function listFilesTool({ services, session }: ToolContext) {
  return tool({
    description:
      'List the workspace files you may read (pipeline code, prompt templates, params, playbook, manifest, scorer).',
    inputSchema: z.object({}),
    execute: async () => {
      session.record('list_files', true);
      return { files: listReadable(services.readableFiles()) };
    },
  });
}

function readFileTool({ services, session, refuse }: ToolContext) {
  return tool({
    description: 'Read one workspace file from list_files (workspace-relative path).',
    inputSchema: z.object({ path: z.string().describe('Workspace-relative path, e.g. prompts/answer.md') }),
    execute: async ({ path }) => {
      const checked = checkReadable(path, services.readableFiles());
      if ('error' in checked) return refuse('read_file', checked.error);
      let text: string;
      try {
        text = services.readFile(checked.path);
      } catch (err) {
        return refuse(
          'read_file',
          `cannot read '${checked.path}': ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      session.record('read_file', true, checked.path);
      return { path: checked.path, text: clip(text, MAX_FILE_CHARS) };
    },
  });
}

function listFailuresTool({ input, services, session }: ToolContext) {
  return tool({
    description:
      'List the train cases the current best fails: id, mean score, statuses and their attribution (label, blamed step, level, confidence, cluster).',
    inputSchema: z.object({}),
    execute: async () => {
      const view = failureList(services.trainFailures(), input.attribution);
      session.record('list_failures', true, `${view.total} failures`);
      return view;
    },
  });
}

function viewCaseTool({ input, services, session, refuse }: ToolContext) {
  return tool({
    description:
      "View one TRAIN case: input, expected answer, each trial's output and score, and the step records of the diagnosed trial.",
    inputSchema: z.object({ id: z.string().describe('A train case id from list_failures') }),
    execute: async ({ id }) => {
      const entry = services.trainCase(id);
      if (!entry || entry.case.id !== id) return refuse('view_case', `${NOT_AVAILABLE} ('${id}' is not a train case)`);
      session.viewedCases.set(id, entry.case);
      session.record('view_case', true, id);
      return caseView(entry, input.attribution);
    },
  });
}

function viewAttributionTool({ input, session }: ToolContext) {
  return tool({
    description:
      'View the attribution report of the current best on train: failure clusters with suggested fixes, the level partition, the recommended level and ceiling estimates.',
    inputSchema: z.object({}),
    execute: async () => {
      session.record('view_attribution', true);
      return attributionView(input.attribution, input.target);
    },
  });
}

function viewMemoryTool({ input, session }: ToolContext) {
  return tool({
    description:
      'View the iteration memory: earlier proposals with their technique, hypothesis, review verdict and VALIDATION AGGREGATES (mean, sd, delta, interval), and exhausted levels.',
    inputSchema: z.object({}),
    execute: async () => {
      session.record('view_memory', true);
      return memoryView(input.memory);
    },
  });
}

function writeVariantTool({ input, services, session, refuse }: ToolContext) {
  return tool({
    description: `Write THE proposal of this session at the ${input.level} level. Checked against the scope contract at once: a refused write explains why and changes nothing; an accepted write replaces any earlier draft.`,
    inputSchema: writeVariantSchema,
    execute: async (request) => {
      const existingFiles = new Set([...services.readableFiles(), input.parent.chainPath]);
      const seenTrain = [...services.trainFailures().map((f) => f.case), ...session.viewedCases.values()];
      const outcome = buildDraft(input, request, { existingFiles, seenTrain });
      if ('refused' in outcome) {
        session.summary.refusedWrites.push({ reasons: outcome.refused });
        return refuse('write_variant', `write refused (nothing was saved):\n- ${outcome.refused.join('\n- ')}`);
      }
      session.draft = outcome.proposal;
      session.summary.acceptedWrites += 1;
      session.record('write_variant', true, `${outcome.proposal.technique}`);
      return {
        accepted: true,
        level: outcome.proposal.level,
        technique: outcome.proposal.technique,
        files: outcome.proposal.files,
        warnings: outcome.warnings,
        note: 'This draft is now the proposal. quick_check it, write again to replace it, or finish.',
      };
    },
  });
}

function quickCheckTool({ services, session, refuse }: ToolContext) {
  return tool({
    description: `Run the current draft on up to ${MAX_QUICK_CHECK_CASES} train cases (one trial each) and get their scores. At most ${MAX_QUICK_CHECKS} checks per session.`,
    inputSchema: z.object({ caseIds: z.array(z.string()).min(1).max(MAX_QUICK_CHECK_CASES) }),
    execute: async ({ caseIds }) => {
      const draft = session.draft;
      if (!draft) return refuse('quick_check', 'no draft yet: call write_variant first');
      if (session.summary.quickChecks >= MAX_QUICK_CHECKS)
        return refuse('quick_check', `the ${MAX_QUICK_CHECKS} quick checks of this session are used up`);
      const unknown = caseIds.filter((id) => services.trainCase(id) === undefined);
      if (unknown.length > 0) return refuse('quick_check', `${NOT_AVAILABLE} (${unknown.join(', ')})`);
      session.summary.quickChecks += 1;
      const results = await services.quickCheck(draft, caseIds);
      session.record('quick_check', true, caseIds.join(','));
      return { results };
    },
  });
}

function finishTool({ session }: ToolContext) {
  return tool({
    description:
      'End the session. Call it after an accepted write, or without writing when nothing sensible is left to try at this level.',
    inputSchema: z.object({ summary: z.string().describe('What you found and what you proposed (or why nothing).') }),
    execute: async ({ summary }) => {
      session.summary.finished = true;
      session.summary.finishSummary = clip(summary, 2000);
      session.record('finish', true);
      return { ok: true, proposal: session.draft ? 'written' : 'none' };
    },
  });
}

/** The proposer's tools, one factory each; the model sees them under these names. */
const TOOL_FACTORIES = {
  list_files: listFilesTool,
  read_file: readFileTool,
  list_failures: listFailuresTool,
  view_case: viewCaseTool,
  view_attribution: viewAttributionTool,
  view_memory: viewMemoryTool,
  write_variant: writeVariantTool,
  quick_check: quickCheckTool,
  finish: finishTool,
} as const;

export function createProposerTools(input: ProposerInput, session: AgentSession) {
  const ctx: ToolContext = {
    input,
    services: input.services,
    session,
    refuse: (name, reason) => {
      session.record(name, false, reason);
      throw new ToolRefusal(reason);
    },
  };
  return Object.fromEntries(Object.entries(TOOL_FACTORIES).map(([name, make]) => [name, make(ctx)])) as {
    [K in keyof typeof TOOL_FACTORIES]: ReturnType<(typeof TOOL_FACTORIES)[K]>;
  };
}
