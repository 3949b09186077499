/** A real typecheck of a proposed chain module against the fapo public types, fully in memory. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The library's public entry; chains import its types as `fapo`. */
export const DEFAULT_FAPO_TYPES_PATH = fileURLToPath(new URL('../../index.ts', import.meta.url));

const VIRTUAL_ROOT = '/__fapo_review__';

const COMPILER_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: ['lib.es2022.d.ts'],
  types: [],
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  allowImportingTsExtensions: true,
  resolveJsonModule: false,
};

/** Parsed standard-library files are immutable and slow to parse, so every review shares them. */
const libCache = new Map<string, ts.SourceFile>();
const libDir = path.dirname(ts.getDefaultLibFilePath(COMPILER_OPTIONS));

export type TypecheckOutcome =
  | {
      ran: true;
      errors: string[];
      /** The variant as the checker sees it, for checks that need types (chain-safety.ts). */
      sourceFile: ts.SourceFile;
      checker: ts.TypeChecker;
    }
  | { ran: false; reason: string };

export function typecheckChain(
  source: string,
  chainPath: string,
  fapoTypesPath: string = DEFAULT_FAPO_TYPES_PATH,
): TypecheckOutcome {
  if (!existsSync(fapoTypesPath)) return { ran: false, reason: `fapo types not found at ${fapoTypesPath}` };
  const fileName = path.posix.join(VIRTUAL_ROOT, chainPath);
  const options: ts.CompilerOptions = { ...COMPILER_OPTIONS, paths: { fapo: [fapoTypesPath] } };
  const host = ts.createCompilerHost(options, true);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, languageVersion, onError) => {
    if (name === fileName) return ts.createSourceFile(name, source, languageVersion, true, ts.ScriptKind.TS);
    if (!name.startsWith(libDir)) return getSourceFile(name, languageVersion, onError);
    const cached = libCache.get(name);
    if (cached) return cached;
    const parsed = getSourceFile(name, languageVersion, onError);
    if (parsed) libCache.set(name, parsed);
    return parsed;
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === fileName || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => (name === fileName ? source : readFile(name));

  const program = ts.createProgram({ rootNames: [fileName], options, host });
  const variant = program.getSourceFile(fileName)!;
  // Only the variant is under review: errors inside the library's own types are not its fault.
  const diagnostics = [...program.getSyntacticDiagnostics(variant), ...program.getSemanticDiagnostics(variant)];
  const errors = diagnostics
    .filter((d) => d.category === ts.DiagnosticCategory.Error)
    .map((d) => {
      const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      if (d.start === undefined) return `${chainPath} TS${d.code}: ${message}`;
      const { line, character } = variant.getLineAndCharacterOfPosition(d.start);
      return `${chainPath}:${line + 1}:${character + 1} TS${d.code}: ${message}`;
    });
  return { ran: true, errors: [...new Set(errors)], sourceFile: variant, checker: program.getTypeChecker() };
}
