/**
 * Static reading of a chain module with the TypeScript parser. Review must never execute proposed
 * chain code, so the chain's steps, templates and step executions are recovered from the syntax tree.
 */
import ts from 'typescript';
import type { StepKind } from '../../chain/types.ts';

/** A value read from the source: a literal, or the source text of something that is not one. */
export type StaticValue = { known: true; value: string | number } | { known: false; text: string };

export interface DeclaredStep {
  name: string;
  kind: StepKind;
  line: number;
  /** llm and agent: template name (defaults to the step name). */
  prompt?: string;
  resource?: string;
  /** retrieve: the query template, when it is a literal. */
  query?: string;
  k?: StaticValue;
  /** agent: the loop bound (a number or a `${params.x}` template). */
  maxSteps?: StaticValue;
  /** agent: tool names and globs when they are literals, else the expression. */
  tools?: string[] | StaticValue;
}

/** One place where a step runs, with how many times it runs per case (null: not determinable). */
export interface StepExecution {
  /** Null when the step name is not a literal. */
  step: string | null;
  line: number;
  multiplicity: number | null;
  /** Why the multiplicity could not be determined. */
  unbounded?: string;
}

export interface ParsedChain {
  sourceFile: ts.SourceFile;
  name?: string;
  steps: DeclaredStep[];
  customFlow: boolean;
  /** Every `run('<step>')` call in the module (custom flow), or one per declared step otherwise. */
  executions: StepExecution[];
  /** Parts of the chain that could not be read statically. */
  problems: string[];
}

const STEP_FACTORIES: readonly StepKind[] = ['llm', 'retrieve', 'code', 'agent'];

export function lineOf(node: ts.Node): number {
  const sf = node.getSourceFile();
  return sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
}

export function unwrap(expr: ts.Expression): ts.Expression {
  let e = expr;
  while (
    ts.isParenthesizedExpression(e) ||
    ts.isAsExpression(e) ||
    ts.isNonNullExpression(e) ||
    ts.isSatisfiesExpression(e)
  ) {
    e = e.expression;
  }
  return e;
}

/** Initialisers of `const` bindings whose name is declared exactly once in the module. */
function uniqueConstInitialisers(sf: ts.SourceFile): Map<string, ts.Expression> {
  const counts = new Map<string, number>();
  const inits = new Map<string, ts.Expression>();
  const visit = (node: ts.Node): void => {
    if (
      (ts.isVariableDeclaration(node) || ts.isParameter(node) || ts.isBindingElement(node)) &&
      ts.isIdentifier(node.name)
    ) {
      const name = node.name.text;
      counts.set(name, (counts.get(name) ?? 0) + 1);
      const isConst = ts.isVariableDeclaration(node) && (ts.getCombinedNodeFlags(node) & ts.NodeFlags.Const) !== 0;
      if (isConst && node.initializer) inits.set(name, node.initializer);
    } else if ((ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node)) && node.name) {
      counts.set(node.name.text, (counts.get(node.name.text) ?? 0) + 1);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  for (const name of [...inits.keys()]) if (counts.get(name) !== 1) inits.delete(name);
  return inits;
}

class ChainReader {
  readonly problems: string[] = [];
  private readonly consts: Map<string, ts.Expression>;
  private readonly functions = new Map<string, ts.FunctionDeclaration>();

  constructor(
    readonly sf: ts.SourceFile,
    private readonly params: Record<string, unknown>,
  ) {
    this.consts = uniqueConstInitialisers(sf);
    for (const stmt of sf.statements) {
      if (ts.isFunctionDeclaration(stmt) && stmt.name) this.functions.set(stmt.name.text, stmt);
    }
  }

  /** Follows `const x = ...` indirections so `steps: STEPS` and `k: K` can be read. */
  resolve(expr: ts.Expression, depth = 0): ts.Expression {
    const e = unwrap(expr);
    if (ts.isIdentifier(e) && depth < 5) {
      const init = this.consts.get(e.text);
      if (init) return this.resolve(init, depth + 1);
    }
    return e;
  }

  staticValue(expr: ts.Expression): StaticValue {
    const e = this.resolve(expr);
    if (ts.isStringLiteralLike(e)) return { known: true, value: e.text };
    if (ts.isNumericLiteral(e)) return { known: true, value: Number(e.text) };
    if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(e.operand)) {
      return { known: true, value: -Number(e.operand.text) };
    }
    return { known: false, text: expr.getText(this.sf) };
  }

  /** `['a', 'b']` with only string literals (through consts), else null. */
  stringList(expr: ts.Expression): string[] | null {
    const e = this.resolve(expr);
    if (!ts.isArrayLiteralExpression(e)) return null;
    const values: string[] = [];
    for (const element of e.elements) {
      const v = ts.isSpreadElement(element) ? null : this.staticValue(element);
      if (!v?.known || typeof v.value !== 'string') return null;
      values.push(v.value);
    }
    return values;
  }

  /** A number known statically: a literal, a const, or `params.x` / `ctx.params.x` from the proposal's params. */
  staticNumber(expr: ts.Expression): number | null {
    const v = this.staticValue(expr);
    if (v.known) return typeof v.value === 'number' ? v.value : null;
    const e = this.resolve(expr);
    const paramName = paramsKey(e);
    if (paramName !== null) {
      const value = this.params[paramName];
      return typeof value === 'number' ? value : null;
    }
    return null;
  }

  findDefineChainArg(): ts.ObjectLiteralExpression | null {
    let found: ts.ObjectLiteralExpression | null = null;
    const visit = (node: ts.Node): void => {
      if (found) return;
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'defineChain') {
        const arg = node.arguments[0] ? this.resolve(node.arguments[0]) : undefined;
        if (arg && ts.isObjectLiteralExpression(arg)) found = arg;
        else this.problems.push(`line ${lineOf(node)}: defineChain(...) must be given an object literal`);
        return;
      }
      ts.forEachChild(node, visit);
    };
    visit(this.sf);
    return found;
  }

  readStep(element: ts.Expression, index: number): DeclaredStep | null {
    const e = this.resolve(element);
    let kind: StepKind | undefined;
    let fields: ts.ObjectLiteralExpression | undefined;
    let positionalName: string | undefined;
    if (
      ts.isCallExpression(e) &&
      ts.isIdentifier(e.expression) &&
      STEP_FACTORIES.includes(e.expression.text as StepKind)
    ) {
      kind = e.expression.text as StepKind;
      const [first, second] = e.arguments.map((a) => this.resolve(a));
      if (first && ts.isStringLiteralLike(first)) {
        positionalName = first.text;
        if (second && ts.isObjectLiteralExpression(second)) fields = second;
      } else if (first && ts.isObjectLiteralExpression(first)) {
        fields = first;
      }
    } else if (ts.isObjectLiteralExpression(e)) {
      fields = e;
      const k = property(e, 'kind');
      const v = k ? this.staticValue(k) : undefined;
      if (v?.known && STEP_FACTORIES.includes(v.value as StepKind)) kind = v.value as StepKind;
    }
    if (!kind || (!fields && positionalName === undefined)) {
      this.problems.push(
        `line ${lineOf(element)}: step #${index + 1} is not a literal llm/retrieve/code/agent declaration`,
      );
      return null;
    }
    const read = (key: string): StaticValue | undefined => {
      const p = fields ? property(fields, key) : undefined;
      return p ? this.staticValue(p) : undefined;
    };
    const nameValue = read('name');
    const name = positionalName ?? (nameValue?.known ? String(nameValue.value) : undefined);
    if (name === undefined) {
      this.problems.push(`line ${lineOf(element)}: step #${index + 1} has no literal name`);
      return null;
    }
    const step: DeclaredStep = { name, kind, line: lineOf(element) };
    const text = (v: StaticValue | undefined): string | undefined => (v?.known ? String(v.value) : undefined);
    if (kind === 'llm' || kind === 'agent') step.prompt = text(read('prompt')) ?? name;
    if (kind === 'agent') {
      step.maxSteps = read('maxSteps');
      const tools = fields ? property(fields, 'tools') : undefined;
      if (tools) step.tools = this.stringList(tools) ?? this.staticValue(tools);
    }
    if (kind === 'retrieve') {
      step.resource = text(read('resource'));
      step.query = text(read('query'));
      step.k = read('k');
    }
    return step;
  }

  /** Returns the function node of the `flow` property, or null. */
  flowFunction(def: ts.ObjectLiteralExpression): ts.FunctionLikeDeclaration | null | 'unreadable' {
    for (const p of def.properties) {
      if (!p.name || propertyName(p.name) !== 'flow') continue;
      if (ts.isMethodDeclaration(p)) return p;
      const value = ts.isPropertyAssignment(p)
        ? this.resolve(p.initializer)
        : ts.isShorthandPropertyAssignment(p)
          ? p.name
          : undefined;
      if (value && (ts.isArrowFunction(value) || ts.isFunctionExpression(value))) return value;
      if (value && ts.isIdentifier(value) && this.functions.has(value.text)) return this.functions.get(value.text)!;
      return 'unreadable';
    }
    return null;
  }

  /** Upper bound on a loop's iterations, or a reason it has none statically. */
  loopIterations(loop: ts.IterationStatement): number | string {
    const where = `loop at line ${lineOf(loop)}`;
    if (ts.isForOfStatement(loop) || ts.isForInStatement(loop)) {
      const iterable = this.resolve(loop.expression);
      if (
        ts.isForOfStatement(loop) &&
        ts.isArrayLiteralExpression(iterable) &&
        !iterable.elements.some(ts.isSpreadElement)
      ) {
        return iterable.elements.length;
      }
      return `${where} iterates over a value whose length is not known statically`;
    }
    if (!ts.isForStatement(loop)) return `${where} is a while/do loop with no static bound`;
    const counted = this.countedLoop(loop);
    return counted ?? `${where} has no literal or params-based bound`;
  }

  /** `for (let i = A; i < B; i++)` and friends, with A and B known numbers. */
  private countedLoop(loop: ts.ForStatement): number | null {
    const init = loop.initializer;
    if (!init || !ts.isVariableDeclarationList(init) || init.declarations.length !== 1) return null;
    const decl = init.declarations[0]!;
    if (!ts.isIdentifier(decl.name) || !decl.initializer) return null;
    const counter = decl.name.text;
    const start = this.staticNumber(decl.initializer);
    const cond = loop.condition ? unwrap(loop.condition) : undefined;
    if (start === null || !cond || !ts.isBinaryExpression(cond)) return null;
    let op: ts.SyntaxKind = cond.operatorToken.kind;
    let bound: ts.Expression;
    if (isIdentifierNamed(cond.left, counter)) bound = cond.right;
    else if (isIdentifierNamed(cond.right, counter)) {
      bound = cond.left;
      op =
        op === ts.SyntaxKind.GreaterThanToken
          ? ts.SyntaxKind.LessThanToken
          : op === ts.SyntaxKind.GreaterThanEqualsToken
            ? ts.SyntaxKind.LessThanEqualsToken
            : ts.SyntaxKind.Unknown;
    } else return null;
    const end = this.staticNumber(bound);
    const step = loop.incrementor ? incrementStep(unwrap(loop.incrementor), counter) : null;
    if (end === null || step === null || step <= 0) return null;
    if (op === ts.SyntaxKind.LessThanToken) return Math.max(0, Math.ceil((end - start) / step));
    if (op === ts.SyntaxKind.LessThanEqualsToken) return Math.max(0, Math.floor((end - start) / step) + 1);
    return null;
  }

  executions(flow: ts.FunctionLikeDeclaration): StepExecution[] {
    const out: StepExecution[] = [];
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && isRunCall(node)) {
        const arg = node.arguments[0];
        const name = arg ? this.staticValue(arg) : undefined;
        const step = name?.known ? String(name.value) : null;
        out.push({ step, line: lineOf(node), ...this.multiplicity(node, flow) });
      }
      ts.forEachChild(node, visit);
    };
    visit(this.sf);
    return out;
  }

  private multiplicity(
    call: ts.Node,
    flow: ts.FunctionLikeDeclaration,
  ): { multiplicity: number | null; unbounded?: string } {
    let times = 1;
    for (let node = call.parent; node; node = node.parent) {
      if (node === flow) return { multiplicity: times };
      if (ts.isFunctionLike(node)) {
        return {
          multiplicity: null,
          unbounded: `run() at line ${lineOf(call)} is inside a nested function (line ${lineOf(node)}) that may be called any number of times`,
        };
      }
      if (ts.isIterationStatement(node, false) && isInLoopBody(call, node)) {
        const n = this.loopIterations(node);
        if (typeof n === 'string') return { multiplicity: null, unbounded: n };
        times *= n;
      }
    }
    return { multiplicity: null, unbounded: `run() at line ${lineOf(call)} is outside the flow function` };
  }
}

function isInLoopBody(node: ts.Node, loop: ts.IterationStatement): boolean {
  return node.pos >= loop.statement.pos && node.end <= loop.statement.end;
}

function isIdentifierNamed(expr: ts.Expression, name: string): boolean {
  const e = unwrap(expr);
  return ts.isIdentifier(e) && e.text === name;
}

function incrementStep(expr: ts.Expression, counter: string): number | null {
  if (
    (ts.isPostfixUnaryExpression(expr) || ts.isPrefixUnaryExpression(expr)) &&
    expr.operator === ts.SyntaxKind.PlusPlusToken
  ) {
    return isIdentifierNamed(expr.operand, counter) ? 1 : null;
  }
  if (ts.isBinaryExpression(expr) && isIdentifierNamed(expr.left, counter)) {
    const right = unwrap(expr.right);
    if (expr.operatorToken.kind === ts.SyntaxKind.PlusEqualsToken && ts.isNumericLiteral(right))
      return Number(right.text);
    if (
      expr.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      ts.isBinaryExpression(right) &&
      right.operatorToken.kind === ts.SyntaxKind.PlusToken
    ) {
      const [a, b] = [unwrap(right.left), unwrap(right.right)];
      if (isIdentifierNamed(a, counter) && ts.isNumericLiteral(b)) return Number(b.text);
    }
  }
  return null;
}

/** `run('x')` or `<anything>.run('x')`: how a flow executes a step. */
function isRunCall(call: ts.CallExpression): boolean {
  const callee = unwrap(call.expression);
  return (
    (ts.isPropertyAccessExpression(callee) && callee.name.text === 'run') ||
    (ts.isIdentifier(callee) && callee.text === 'run')
  );
}

/** The key of `params.x`, `ctx.params.x` or `ctx.params['x']`, else null. */
function paramsKey(expr: ts.Expression): string | null {
  const e = unwrap(expr);
  let object: ts.Expression;
  let key: string;
  if (ts.isPropertyAccessExpression(e)) {
    object = unwrap(e.expression);
    key = e.name.text;
  } else if (ts.isElementAccessExpression(e) && ts.isStringLiteralLike(unwrap(e.argumentExpression))) {
    object = unwrap(e.expression);
    key = (unwrap(e.argumentExpression) as ts.StringLiteralLike).text;
  } else return null;
  const isParams =
    (ts.isIdentifier(object) && object.text === 'params') ||
    (ts.isPropertyAccessExpression(object) && object.name.text === 'params');
  return isParams ? key : null;
}

export function propertyName(name: ts.PropertyName): string | undefined {
  if (ts.isIdentifier(name) || ts.isStringLiteralLike(name) || ts.isNumericLiteral(name)) return name.text;
  return undefined;
}

function property(obj: ts.ObjectLiteralExpression, key: string): ts.Expression | undefined {
  for (const p of obj.properties) {
    if (ts.isPropertyAssignment(p) && propertyName(p.name) === key) return p.initializer;
    if (ts.isShorthandPropertyAssignment(p) && p.name.text === key) return p.name;
  }
  return undefined;
}

function parseSource(source: string, fileName: string): ts.SourceFile {
  return ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

/**
 * Reads a chain's declared steps and where they run. `params` resolves `params.x` loop bounds and
 * `${params.x}` k values the way the runtime would.
 */
export function parseChain(source: string, fileName: string, params: Record<string, unknown>): ParsedChain {
  const sf = parseSource(source, fileName);
  const reader = new ChainReader(sf, params);
  const def = reader.findDefineChainArg();
  if (!def) {
    if (reader.problems.length === 0) reader.problems.push('no defineChain({...}) call found');
    return { sourceFile: sf, steps: [], customFlow: false, executions: [], problems: reader.problems };
  }
  const nameExpr = property(def, 'name');
  const nameValue = nameExpr ? reader.staticValue(nameExpr) : undefined;
  const stepsExpr = property(def, 'steps');
  const stepsArray = stepsExpr ? reader.resolve(stepsExpr) : undefined;
  const steps: DeclaredStep[] = [];
  if (stepsArray && ts.isArrayLiteralExpression(stepsArray)) {
    stepsArray.elements.forEach((el, i) => {
      const step = ts.isSpreadElement(el) ? null : reader.readStep(el, i);
      if (ts.isSpreadElement(el)) reader.problems.push(`line ${lineOf(el)}: spread in steps cannot be read statically`);
      if (step) steps.push(step);
    });
  } else {
    reader.problems.push('steps must be an array literal of llm/retrieve/code/agent declarations');
  }
  const flow = reader.flowFunction(def);
  let executions: StepExecution[];
  if (flow === 'unreadable') {
    reader.problems.push('flow is not a function literal or a function declared in this module');
    executions = [
      { step: null, line: lineOf(def), multiplicity: null, unbounded: 'the flow function cannot be read statically' },
    ];
  } else if (flow) {
    executions = reader.executions(flow);
  } else {
    executions = steps.map((s) => ({ step: s.name, line: s.line, multiplicity: 1 }));
  }
  return {
    sourceFile: sf,
    ...(nameValue?.known ? { name: String(nameValue.value) } : {}),
    steps,
    customFlow: flow !== null,
    executions,
    problems: reader.problems,
  };
}
