/**
 * The runs query language, shared by the runs table's query box, `snca runs --where` and
 * the `runs.query` method:
 *
 *   arch = resnet18 and knn_top1 > 0.9 and tag:baseline and created > 2026-11-01
 *
 * Grammar (keywords case-insensitive):
 *   query      := or?
 *   or         := and ('or' and)*
 *   and        := unary ('and'? unary)*        -- juxtaposition means and
 *   unary      := 'not' unary | '(' or ')' | 'tag:' value | field op value
 *   op         := = | != | < | <= | > | >= | ~  (~ is "contains", text only)
 *   value      := number | date (YYYY-MM-DD or ISO time) | true | false | word | "quoted" | 'quoted'
 *
 * Field names are listed in run-query-fields.ts. A date without a time means that whole
 * (UTC) day: `created > 2026-11-01` starts at 2026-11-02T00:00Z. Errors are RunQueryError,
 * which names the 1-based column and, for an unknown field, the closest valid names.
 * The parse result is data only; the main side compiles it to parameterised SQL.
 */
import { resolveField, suggestFields, type FieldType, type QueryField } from './run-query-fields.ts';

export const QUERY_OPERATORS = ['=', '!=', '<', '<=', '>', '>=', '~'] as const;
export type QueryOperator = (typeof QUERY_OPERATORS)[number];

export type QueryValue =
  | { type: 'number'; value: number }
  | { type: 'text'; value: string }
  | { type: 'boolean'; value: boolean }
  /** `from` inclusive, `to` exclusive, ISO-8601 UTC; a single instant has from === to. */
  | { type: 'date'; from: string; to: string };

export type QueryExpr =
  | { kind: 'and' | 'or'; left: QueryExpr; right: QueryExpr }
  | { kind: 'not'; expr: QueryExpr }
  | { kind: 'compare'; field: QueryField; op: QueryOperator; value: QueryValue }
  | { kind: 'tag'; op: '=' | '!='; tag: string };

export class RunQueryError extends Error {
  override readonly name = 'RunQueryError';
  constructor(
    readonly reason: string,
    /** 0-based offset into the query text. */
    readonly position: number,
    /** Valid field names close to a misspelt one (empty otherwise). */
    readonly suggestions: readonly string[] = [],
  ) {
    super(`${reason} at column ${position + 1}${suggestions.length ? ` (did you mean ${suggestions.join(', ')}?)` : ''}`);
  }
}

type TokenKind = 'word' | 'string' | 'op' | 'lparen' | 'rparen' | 'end';
interface Token {
  kind: TokenKind;
  text: string;
  pos: number;
}

const WORD_CHAR = /[A-Za-z0-9_.:+\-]/;
const MAX_QUERY_LENGTH = 4000;
const MAX_DEPTH = 64;

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')') {
      tokens.push({ kind: c === '(' ? 'lparen' : 'rparen', text: c, pos: i });
      i++;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '!=' || two === '<=' || two === '>=' || two === '==') {
      tokens.push({ kind: 'op', text: two === '==' ? '=' : two, pos: i });
      i += 2;
      continue;
    }
    if (c === '=' || c === '<' || c === '>' || c === '~') {
      tokens.push({ kind: 'op', text: c, pos: i });
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const start = i;
      let text = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new RunQueryError(`unterminated string (missing ${c})`, start);
        const d = src[i]!;
        if (d === '\\' && i + 1 < src.length) {
          text += src[i + 1];
          i += 2;
        } else if (d === c) {
          i++;
          break;
        } else {
          text += d;
          i++;
        }
      }
      tokens.push({ kind: 'string', text, pos: start });
      continue;
    }
    if (WORD_CHAR.test(c)) {
      const start = i;
      // A quote ends a word, so `tag:"two words"` is the word `tag:` then a string.
      while (i < src.length && WORD_CHAR.test(src[i]!)) i++;
      tokens.push({ kind: 'word', text: src.slice(start, i), pos: start });
      continue;
    }
    throw new RunQueryError(`unexpected character ${JSON.stringify(c)}`, i);
  }
  tokens.push({ kind: 'end', text: '', pos: src.length });
  return tokens;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})?)?$/;
const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function parseDate(text: string, pos: number): QueryValue | undefined {
  const m = DATE_RE.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h] = m;
  const dayStart = Date.UTC(Number(y), Number(mo) - 1, Number(d));
  const check = new Date(dayStart);
  if (check.getUTCFullYear() !== Number(y) || check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d)) {
    throw new RunQueryError(`${text} is not a calendar date`, pos);
  }
  if (h === undefined) {
    return { type: 'date', from: new Date(dayStart).toISOString(), to: new Date(dayStart + 86_400_000).toISOString() };
  }
  const t = Date.parse(m[8] ? text.replace(' ', 'T') : `${text.replace(' ', 'T')}Z`);
  if (Number.isNaN(t)) throw new RunQueryError(`${text} is not a valid time`, pos);
  const iso = new Date(t).toISOString();
  return { type: 'date', from: iso, to: iso };
}

const OPS_BY_TYPE: Record<FieldType, readonly QueryOperator[]> = {
  text: ['=', '!=', '~'],
  number: ['=', '!=', '<', '<=', '>', '>='],
  date: ['=', '!=', '<', '<=', '>', '>='],
  boolean: ['=', '!='],
};

class Parser {
  private at = 0;
  private depth = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.at]!;
  }
  private next(): Token {
    return this.tokens[this.at++]!;
  }
  private isKeyword(t: Token, kw: string): boolean {
    return t.kind === 'word' && t.text.toLowerCase() === kw;
  }

  parseQuery(): QueryExpr | null {
    if (this.peek().kind === 'end') return null;
    const e = this.parseOr();
    const t = this.peek();
    if (t.kind !== 'end') {
      throw new RunQueryError(t.kind === 'rparen' ? 'unmatched )' : `expected and, or or the end, found ${JSON.stringify(t.text)}`, t.pos);
    }
    return e;
  }

  private parseOr(): QueryExpr {
    let left = this.parseAnd();
    while (this.isKeyword(this.peek(), 'or')) {
      this.next();
      left = { kind: 'or', left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): QueryExpr {
    let left = this.parseUnary();
    for (;;) {
      const t = this.peek();
      if (this.isKeyword(t, 'and')) {
        this.next();
      } else if (t.kind === 'end' || t.kind === 'rparen' || this.isKeyword(t, 'or')) {
        return left;
      }
      left = { kind: 'and', left, right: this.parseUnary() };
    }
  }

  private parseUnary(): QueryExpr {
    if (++this.depth > MAX_DEPTH) throw new RunQueryError('the query nests too deeply', this.peek().pos);
    try {
      const t = this.next();
      if (this.isKeyword(t, 'not')) return { kind: 'not', expr: this.parseUnary() };
      if (t.kind === 'lparen') {
        const e = this.parseOr();
        const close = this.next();
        if (close.kind !== 'rparen') throw new RunQueryError('expected )', close.pos);
        return e;
      }
      if (t.kind === 'word') {
        const lower = t.text.toLowerCase();
        if (lower.startsWith('tag:')) return this.parseTagShorthand(t);
        if (lower === 'and' || lower === 'or') throw new RunQueryError(`expected a condition before ${lower}`, t.pos);
        return this.parseComparison(t);
      }
      if (t.kind === 'end') throw new RunQueryError('expected a condition, found the end of the query', t.pos);
      throw new RunQueryError(`expected a field name, found ${JSON.stringify(t.text)}`, t.pos);
    } finally {
      this.depth--;
    }
  }

  private parseTagShorthand(t: Token): QueryExpr {
    let tag = t.text.slice(4);
    if (tag === '') {
      const s = this.next();
      if (s.kind !== 'string') throw new RunQueryError('expected a tag after tag:', s.pos);
      tag = s.text;
    }
    if (tag.trim() === '') throw new RunQueryError('empty tag', t.pos);
    return { kind: 'tag', op: '=', tag };
  }

  private parseComparison(nameTok: Token): QueryExpr {
    const opTok = this.next();
    if (opTok.kind !== 'op') {
      throw new RunQueryError(`expected an operator (${QUERY_OPERATORS.join(' ')}) after ${nameTok.text}`, opTok.pos);
    }
    const op = opTok.text as QueryOperator;
    const valueTok = this.next();
    if (valueTok.kind !== 'word' && valueTok.kind !== 'string') {
      throw new RunQueryError(`expected a value after ${op}`, valueTok.pos);
    }
    if (nameTok.text.toLowerCase() === 'tag') {
      if (op !== '=' && op !== '!=') throw new RunQueryError('tag takes = or !=', opTok.pos);
      return { kind: 'tag', op, tag: valueTok.text };
    }
    const field = resolveField(nameTok.text);
    if (!field) throw new RunQueryError(`unknown field ${JSON.stringify(nameTok.text)}`, nameTok.pos, suggestFields(nameTok.text));
    if (!OPS_BY_TYPE[field.type].includes(op)) {
      throw new RunQueryError(`${nameTok.text} is ${field.type === 'text' ? 'a text' : `a ${field.type}`} field: use ${OPS_BY_TYPE[field.type].join(' ')}`, opTok.pos);
    }
    return { kind: 'compare', field, op, value: this.literal(field.type, valueTok, nameTok.text) };
  }

  private literal(type: FieldType, t: Token, name: string): QueryValue {
    const text = t.text;
    switch (type) {
      case 'text':
        return { type: 'text', value: text };
      case 'number': {
        if (t.kind === 'word' && NUMBER_RE.test(text)) return { type: 'number', value: Number(text) };
        throw new RunQueryError(`${name} is a number field: ${JSON.stringify(text)} is not a number`, t.pos);
      }
      case 'boolean': {
        const lower = text.toLowerCase();
        if (lower === 'true' || lower === 'false') return { type: 'boolean', value: lower === 'true' };
        throw new RunQueryError(`${name} is true or false, not ${JSON.stringify(text)}`, t.pos);
      }
      case 'date': {
        const d = parseDate(text, t.pos);
        if (d) return d;
        throw new RunQueryError(`${name} is a date: write YYYY-MM-DD or an ISO time, not ${JSON.stringify(text)}`, t.pos);
      }
    }
  }
}

/** Parses a query; an empty (or blank) query is null and matches every run. */
export function parseRunQuery(text: string): QueryExpr | null {
  if (text.length > MAX_QUERY_LENGTH) throw new RunQueryError(`the query is longer than ${MAX_QUERY_LENGTH} characters`, MAX_QUERY_LENGTH);
  return new Parser(tokenize(text)).parseQuery();
}
