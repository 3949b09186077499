/**
 * Check 2 in code: conditionals that single out particular cases (a case id, or an input compared
 * with a literal) are hard-coded answers in disguise.
 */
import ts from 'typescript';
import { lineOf, unwrap } from './chain-ast.ts';

const COMPARISONS = new Set([
  ts.SyntaxKind.EqualsEqualsEqualsToken,
  ts.SyntaxKind.EqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsToken,
  ts.SyntaxKind.LessThanToken,
  ts.SyntaxKind.LessThanEqualsToken,
  ts.SyntaxKind.GreaterThanToken,
  ts.SyntaxKind.GreaterThanEqualsToken,
]);
const EQUALITIES = new Set([...COMPARISONS].slice(0, 4));
const TEXT_PROBES = new Set(['includes', 'startsWith', 'endsWith', 'indexOf', 'match', 'search', 'localeCompare']);
const CONVERSIONS = new Set(['String', 'Number', 'Boolean', 'parseInt', 'parseFloat']);
const ID_NAME = /^(id|caseId|case_id|uid|qid|_id)$|Id$|_id$/;

function isLiteral(expr: ts.Expression): boolean {
  const e = unwrap(expr);
  return (
    ts.isStringLiteralLike(e) ||
    ts.isNumericLiteral(e) ||
    (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(e.operand))
  );
}

/** Names bound to case input: `input`, `const q = ctx.input.question`, `const { question } = input`. */
class InputTracker {
  readonly aliases = new Set<string>();

  constructor(sf: ts.SourceFile) {
    // Two passes let an alias of an alias (const q = question.trim()) be found regardless of order.
    for (let pass = 0; pass < 2; pass++) {
      const visit = (node: ts.Node): void => {
        if (ts.isVariableDeclaration(node) && node.initializer) {
          // Counts (`.length`) are structural, not case-specific, so they do not propagate.
          const fromInput =
            (this.derived(node.initializer) && this.field(node.initializer) !== 'length') ||
            this.isInputObject(node.initializer);
          if (fromInput) this.bind(node.name);
        }
        ts.forEachChild(node, visit);
      };
      visit(sf);
    }
  }

  private bind(name: ts.BindingName): void {
    if (ts.isIdentifier(name)) this.aliases.add(name.text);
    else for (const el of name.elements) if (ts.isBindingElement(el)) this.bind(el.name);
  }

  private isInputObject(expr: ts.Expression): boolean {
    const e = unwrap(expr);
    return ts.isPropertyAccessExpression(e) && e.name.text === 'input';
  }

  /** Whether the value comes from the case input. */
  derived(expr: ts.Expression): boolean {
    const e = unwrap(expr);
    if (ts.isIdentifier(e)) return e.text === 'input' || this.aliases.has(e.text);
    if (ts.isPropertyAccessExpression(e)) return e.name.text === 'input' || this.derived(e.expression);
    if (ts.isElementAccessExpression(e)) return this.derived(e.expression);
    if (ts.isCallExpression(e)) {
      const callee = unwrap(e.expression);
      if (ts.isPropertyAccessExpression(callee)) return this.derived(callee.expression);
      if (ts.isIdentifier(callee) && CONVERSIONS.has(callee.text)) return e.arguments.some((a) => this.derived(a));
    }
    return false;
  }

  /** The last field name on the path, e.g. `id` for `ctx.input.id.trim()`. */
  field(expr: ts.Expression): string | undefined {
    const e = unwrap(expr);
    if (ts.isIdentifier(e)) return e.text;
    if (ts.isPropertyAccessExpression(e)) return e.name.text;
    if (ts.isElementAccessExpression(e)) {
      const key = unwrap(e.argumentExpression);
      return ts.isStringLiteralLike(key) ? key.text : undefined;
    }
    if (ts.isCallExpression(e)) {
      const callee = unwrap(e.expression);
      if (ts.isPropertyAccessExpression(callee)) return this.field(callee.expression);
      return e.arguments[0] ? this.field(e.arguments[0]) : undefined;
    }
    return undefined;
  }
}

function isLiteralCollection(expr: ts.Expression): boolean {
  const e = unwrap(expr);
  if (ts.isArrayLiteralExpression(e)) return e.elements.length > 0 && e.elements.every((x) => isLiteral(x));
  if (ts.isNewExpression(e) && ts.isIdentifier(e.expression) && ['Set', 'Map'].includes(e.expression.text)) {
    return e.arguments?.[0] !== undefined && ts.isArrayLiteralExpression(unwrap(e.arguments[0]));
  }
  return false;
}

export function findCaseSpecificConditionals(sf: ts.SourceFile): { block: string[]; warn: string[] } {
  const tracker = new InputTracker(sf);
  const block: string[] = [];
  const warn: string[] = [];
  const text = (n: ts.Node): string => n.getText(sf).replace(/\s+/g, ' ').slice(0, 80);

  const visit = (node: ts.Node): void => {
    if (ts.isBinaryExpression(node) && COMPARISONS.has(node.operatorToken.kind)) {
      const [l, r] = [node.left, node.right];
      const inputSide = tracker.derived(l) ? l : tracker.derived(r) ? r : undefined;
      const other = inputSide === l ? r : l;
      const field = inputSide ? tracker.field(inputSide) : undefined;
      if (inputSide && EQUALITIES.has(node.operatorToken.kind) && field !== undefined && ID_NAME.test(field)) {
        block.push(`line ${lineOf(node)}: \`${text(node)}\` compares a case id; case-specific behaviour is leakage`);
      } else if (inputSide && isLiteral(other) && field !== 'length') {
        block.push(
          `line ${lineOf(node)}: \`${text(node)}\` compares case input with a literal; case-specific conditionals are leakage`,
        );
      }
    } else if (ts.isSwitchStatement(node) && tracker.derived(node.expression)) {
      const literalCases = node.caseBlock.clauses.filter(
        (c): c is ts.CaseClause => ts.isCaseClause(c) && isLiteral(c.expression),
      );
      if (literalCases.length > 0)
        block.push(
          `line ${lineOf(node)}: switch on case input with literal cases; case-specific conditionals are leakage`,
        );
    } else if (ts.isCallExpression(node)) {
      const callee = unwrap(node.expression);
      if (ts.isPropertyAccessExpression(callee)) {
        const method = callee.name.text;
        const arg = node.arguments[0];
        if (
          (method === 'includes' || method === 'has') &&
          arg &&
          tracker.derived(arg) &&
          isLiteralCollection(callee.expression)
        ) {
          block.push(`line ${lineOf(node)}: \`${text(node)}\` tests case input against a hard-coded list`);
        } else if (TEXT_PROBES.has(method) && tracker.derived(callee.expression) && arg && isLiteral(arg)) {
          warn.push(
            `line ${lineOf(node)}: \`${text(node)}\` probes case input for a literal; make sure it is not case-specific`,
          );
        }
      }
    } else if (
      ts.isElementAccessExpression(node) &&
      ts.isObjectLiteralExpression(unwrap(node.expression)) &&
      tracker.derived(node.argumentExpression)
    ) {
      block.push(`line ${lineOf(node)}: a literal table indexed by case input is a hard-coded answer lookup`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { block, warn };
}
