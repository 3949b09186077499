/**
 * Check 10, import safety, read from the syntax tree. This is a reviewer's first line; the sandboxed
 * child process that runs chain code is the hard boundary, since no static check is complete.
 */
import ts from 'typescript';
import { lineOf, propertyName, unwrap } from './chain-ast.ts';

/** Globals a chain has no business touching, with why. */
const FORBIDDEN_GLOBALS: ReadonlyMap<string, string> = new Map([
  ['eval', 'evaluates strings as code'],
  ['Function', 'builds functions from strings'],
  ['require', 'loads modules at run time'],
  ['process', 'reaches the host process (env, exit, bindings)'],
  ['globalThis', 'reaches the global object'],
  ['global', 'reaches the global object'],
  ['window', 'reaches the global object'],
  ['self', 'reaches the global object'],
  ['Reflect', 'reflective access can reach constructors and hidden properties'],
  ['fetch', 'network access'],
  ['XMLHttpRequest', 'network access'],
  ['WebSocket', 'network access'],
  ['EventSource', 'network access'],
  ['Worker', 'spawns threads'],
  ['setInterval', 'timers outlive the step'],
  ['setTimeout', 'timers outlive the step'],
  ['setImmediate', 'timers outlive the step'],
  ['Atomics', 'Atomics.wait blocks the thread'],
  ['SharedArrayBuffer', 'shared memory across threads'],
  ['WebAssembly', 'runs unreviewable binary code'],
  ['module', 'CommonJS module internals'],
  ['exports', 'CommonJS module internals'],
  ['__dirname', 'reveals host paths'],
  ['__filename', 'reveals host paths'],
  ['Deno', 'runtime internals'],
  ['Bun', 'runtime internals'],
]);

/**
 * Computed member accesses whose key is not provably safe. With the type checker (the review's
 * typecheck program), a key must be a number, a symbol, or string literal(s) other than the
 * forbidden properties; a `string` or `any` key (`['con','structor'].join('')`,
 * `String.fromCharCode(...)`, `JSON.parse('"constructor"')`) could name any property. Without
 * one, `strict` flags every key that is not a literal; otherwise (tool code, which indexes its state
 * by the model's arguments and has no typecheck) keys that are names or property paths pass and
 * computed ones (calls, operators, templates) are flagged.
 */
export function findUncheckableKeys(
  sf: ts.SourceFile,
  types: { checker: ts.TypeChecker } | { strict: boolean },
): string[] {
  const checker = 'checker' in types ? types.checker : undefined;
  const block: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isElementAccessExpression(node)) {
      const key = unwrap(node.argumentExpression);
      const safe = checker
        ? keyTypeIsSafe(checker.getTypeAtLocation(key))
        : 'strict' in types && !types.strict && isNamePath(key);
      if (!ts.isStringLiteralLike(key) && !ts.isNumericLiteral(key) && !safe) {
        const type = checker ? ` (type ${checker.typeToString(checker.getTypeAtLocation(key))})` : '';
        block.push(
          `line ${lineOf(node)}: computed property key \`${key.getText(sf)}\`${type} could name any property, 'constructor' included; index with a number or a string literal, or use a Map`,
        );
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return block;
}

/** `k`, `input.id`: a name or a path of names, computing nothing. */
function isNamePath(e: ts.Expression): boolean {
  return ts.isIdentifier(e) || (ts.isPropertyAccessExpression(e) && isNamePath(e.expression));
}

function keyTypeIsSafe(type: ts.Type): boolean {
  if (type.isUnion()) return type.types.every(keyTypeIsSafe);
  if (type.flags & (ts.TypeFlags.NumberLike | ts.TypeFlags.BigIntLike | ts.TypeFlags.ESSymbolLike)) return true;
  return type.isStringLiteral() && !FORBIDDEN_PROPERTIES.has(type.value);
}

/** Properties that lead from any value to `Function` (e.g. via AsyncFunction's prototype) or to prototype tampering. */
const FORBIDDEN_PROPERTIES = new Set([
  'constructor',
  'prototype',
  '__proto__',
  'getPrototypeOf',
  'setPrototypeOf',
  'getOwnPropertyDescriptor',
  'getOwnPropertyDescriptors',
  'getOwnPropertyNames',
  'defineProperty',
  'defineProperties',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

const NODE_BUILTINS = new Set([
  'fs',
  'child_process',
  'net',
  'http',
  'https',
  'os',
  'path',
  'vm',
  'worker_threads',
  'process',
  'module',
  'dgram',
  'tls',
  'cluster',
]);

export interface SafetyOptions {
  /** Module specifiers a chain may import; `fapo` by default. */
  importAllowlist: readonly string[];
}

function importFinding(spec: string, line: number, allow: readonly string[]): string | null {
  if (allow.includes(spec)) return null;
  const builtin = spec.startsWith('node:') || NODE_BUILTINS.has(spec.split('/')[0]!);
  return `line ${line}: imports '${spec}'${builtin ? ' (a Node built-in)' : ''}; chains may import only ${allow.join(', ')}`;
}

/** An identifier used as a value or binding, not as a property name or inside a type. */
function isReference(id: ts.Identifier): boolean {
  const p = id.parent;
  if (ts.isPropertyAccessExpression(p) && p.name === id) return false;
  if (ts.isQualifiedName(p) && p.right === id) return false;
  if (
    (ts.isPropertyAssignment(p) ||
      ts.isMethodDeclaration(p) ||
      ts.isPropertyDeclaration(p) ||
      ts.isPropertySignature(p) ||
      ts.isMethodSignature(p)) &&
    p.name === id
  )
    return false;
  if (ts.isBindingElement(p) && p.propertyName === id) return false;
  if (ts.isImportSpecifier(p) || ts.isExportSpecifier(p) || ts.isImportClause(p) || ts.isNamespaceImport(p))
    return false;
  return true;
}

const isStringish = (e: ts.Expression): boolean => ts.isStringLiteralLike(e) || ts.isTemplateExpression(e);

export function findUnsafeCode(sf: ts.SourceFile, options: SafetyOptions): string[] {
  const block: string[] = [];
  const at = (node: ts.Node): string => `line ${lineOf(node)}`;

  const directive = /@ts-(ignore|nocheck|expect-error)/.exec(sf.text);
  if (directive)
    block.push(
      `line ${sf.getLineAndCharacterOfPosition(directive.index).line + 1}: @ts-${directive[1]} would hide type errors from review`,
    );

  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || (ts.isExportDeclaration(node) && node.moduleSpecifier)) {
      const spec = node.moduleSpecifier;
      if (spec && ts.isStringLiteral(spec)) {
        const finding = importFinding(spec.text, lineOf(node), options.importAllowlist);
        if (finding) block.push(finding);
      }
    } else if (ts.isImportEqualsDeclaration(node)) {
      block.push(`${at(node)}: import = require(...) is not allowed`);
    } else if (ts.isImportTypeNode(node)) {
      block.push(`${at(node)}: import('...') types are not allowed`);
    } else if (ts.isModuleDeclaration(node)) {
      block.push(`${at(node)}: module/global declarations could change the checked types`);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      block.push(`${at(node)}: dynamic import() loads code review never saw`);
    } else if (ts.isMetaProperty(node) && node.keywordToken === ts.SyntaxKind.ImportKeyword) {
      block.push(`${at(node)}: import.meta reveals and resolves host paths`);
    } else if (ts.isIdentifier(node) && FORBIDDEN_GLOBALS.has(node.text) && isReference(node)) {
      block.push(`${at(node)}: '${node.text}' is forbidden (${FORBIDDEN_GLOBALS.get(node.text)})`);
    } else if (ts.isPropertyAccessExpression(node) && FORBIDDEN_PROPERTIES.has(node.name.text)) {
      block.push(`${at(node)}: access to '.${node.name.text}' can reach Function or the prototype chain`);
    } else if (
      ts.isBindingElement(node) &&
      FORBIDDEN_PROPERTIES.has(
        (node.propertyName && propertyName(node.propertyName)) ?? (ts.isIdentifier(node.name) ? node.name.text : ''),
      )
    ) {
      block.push(`${at(node)}: destructuring a forbidden property can reach Function`);
    } else if (ts.isStringLiteralLike(node) && FORBIDDEN_PROPERTIES.has(node.text)) {
      block.push(`${at(node)}: the string '${node.text}' is only useful to reach Function or the prototype chain`);
    } else if (ts.isElementAccessExpression(node)) {
      const key = unwrap(node.argumentExpression);
      if (
        (ts.isBinaryExpression(key) &&
          key.operatorToken.kind === ts.SyntaxKind.PlusToken &&
          (isStringish(key.left) || isStringish(key.right))) ||
        ts.isTemplateExpression(key)
      ) {
        // Building a key from string pieces is the classic way around the property check above.
        block.push(
          `${at(node)}: property names built from strings (e.g. 'constr' + 'uctor') cannot be checked; use a plain property`,
        );
      }
    }
    // Types cannot run; `fn: Function` in an annotation is harmless.
    if (ts.isTypeNode(node) && !ts.isExpressionWithTypeArguments(node) && !ts.isImportTypeNode(node)) return;
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return block;
}

const DECLARATION_ONLY = new Set([
  ts.SyntaxKind.ImportDeclaration,
  ts.SyntaxKind.ExportAssignment,
  ts.SyntaxKind.ExportDeclaration,
  ts.SyntaxKind.VariableStatement,
  ts.SyntaxKind.FunctionDeclaration,
  ts.SyntaxKind.InterfaceDeclaration,
  ts.SyntaxKind.TypeAliasDeclaration,
  ts.SyntaxKind.EmptyStatement,
]);

/**
 * Import-time side effects, and the one export the runtime needs: `export default defineChain(...)`
 * for a chain, `export default defineTool(...)` for a workspace tool (tools/*.ts).
 */
export function moduleShapeFindings(
  sf: ts.SourceFile,
  definer: 'defineChain' | 'defineTool' = 'defineChain',
): string[] {
  const block: string[] = [];
  const where = definer === 'defineChain' ? 'inside steps or the flow' : "inside the tool's run function";
  for (const stmt of sf.statements) {
    if (!DECLARATION_ONLY.has(stmt.kind))
      block.push(`line ${lineOf(stmt)}: top-level statement runs at import time; put logic ${where}`);
  }
  const exported = sf.statements.find((s): s is ts.ExportAssignment => ts.isExportAssignment(s) && !s.isExportEquals);
  const call = exported ? unwrap(exported.expression) : undefined;
  const isDefine =
    call && ts.isCallExpression(call) && ts.isIdentifier(call.expression) && call.expression.text === definer;
  if (!isDefine) block.push(`the module must \`export default ${definer}({...})\``);
  return block;
}
