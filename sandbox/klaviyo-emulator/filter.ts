import { invalid } from './errors';

export type FilterValue = string | number | boolean | null | Date | FilterValue[];

export interface FilterCondition {
  operator: string;
  field: string;
  value: FilterValue | undefined;
}

/**
 * Parses Klaviyo's filter syntax: `equals(email,"a@b.c")`, `any(ids,["x","y"])`,
 * `greater-than(updated,2024-01-01T00:00:00Z)`, combined with `and(…)` or top-level commas.
 * When the spec lists the allowed field/operator pairs, anything else is refused as Klaviyo does.
 */
export function parseFilter(text: string, allowed?: Map<string, Set<string>>): FilterCondition[] {
  const parser = new FilterParser(text);
  const conditions = parser.parseList();
  for (const condition of conditions) {
    if (allowed && !allowed.get(condition.field)?.has(condition.operator)) {
      throw filterError(`'${condition.operator}' is not a valid operator for field '${condition.field}'.`);
    }
  }
  return conditions;
}

/** Every condition must hold; `fieldOf` reads a field the way the resource's filter defines it. */
export function matchesFilter(conditions: FilterCondition[], fieldOf: (field: string) => unknown): boolean {
  return conditions.every(({ operator, field, value }) => applyOperator(operator, fieldOf(field), value));
}

function applyOperator(operator: string, actual: unknown, expected: FilterValue | undefined): boolean {
  const candidates = Array.isArray(actual) ? actual : [actual];
  switch (operator) {
    case 'equals':
      return candidates.some((candidate) => sameValue(candidate, expected));
    case 'any':
      return (
        Array.isArray(expected) && candidates.some((candidate) => expected.some((one) => sameValue(candidate, one)))
      );
    case 'contains':
      return candidates.some(
        (candidate) => typeof candidate === 'string' && typeof expected === 'string' && candidate.includes(expected),
      );
    case 'has':
      return candidates.some((candidate) => candidate !== undefined && candidate !== null);
    case 'greater-than':
      return compare(actual, expected) > 0;
    case 'greater-or-equal':
      return compare(actual, expected) >= 0;
    case 'less-than':
      return compare(actual, expected) < 0;
    case 'less-or-equal':
      return compare(actual, expected) <= 0;
    default:
      throw filterError(`Unsupported filter operator '${operator}'.`);
  }
}

function sameValue(actual: unknown, expected: FilterValue | undefined): boolean {
  if (expected instanceof Date) return compare(actual, expected) === 0;
  return actual === expected;
}

/** NaN (not comparable) makes every comparison false. */
function compare(actual: unknown, expected: FilterValue | undefined): number {
  const toNumber = (value: unknown) =>
    value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : Number(value);
  return toNumber(actual) - toNumber(expected);
}

function filterError(detail: string) {
  return invalid(`Invalid filter: ${detail}`, { parameter: 'filter' });
}

class FilterParser {
  private position = 0;

  constructor(private readonly text: string) {}

  parseList(): FilterCondition[] {
    const conditions = this.parseConditions();
    if (this.position !== this.text.length) throw this.error('unexpected text');
    return conditions;
  }

  private parseConditions(): FilterCondition[] {
    const conditions: FilterCondition[] = [];
    do {
      conditions.push(...this.parseCondition());
    } while (this.consume(','));
    return conditions;
  }

  private parseCondition(): FilterCondition[] {
    const operator = this.readWhile(/[a-z-]/);
    if (!operator) throw this.error('expected an operator');
    this.expect('(');
    if (operator === 'and') {
      const conditions = this.parseConditions();
      this.expect(')');
      return conditions;
    }
    const field = this.readWhile(/[A-Za-z0-9_.$-]/);
    if (!field) throw this.error('expected a field name');
    const value = this.consume(',') ? this.parseValue() : undefined;
    this.expect(')');
    return [{ operator, field, value }];
  }

  private parseValue(): FilterValue {
    this.skipSpaces();
    if (this.consume('[')) {
      const values: FilterValue[] = [];
      if (!this.consume(']')) {
        do values.push(this.parseValue());
        while (this.consume(','));
        this.expect(']');
      }
      return values;
    }
    if (this.text[this.position] === '"') return this.parseString();
    const word = this.readWhile(/[^,)\]\s]/);
    if (word === 'true' || word === 'false') return word === 'true';
    if (word === 'null') return null;
    if (/^-?\d+(\.\d+)?$/.test(word)) return Number(word);
    if (/^\d{4}-\d{2}-\d{2}/.test(word) && !Number.isNaN(Date.parse(word))) return new Date(word);
    throw this.error(`unreadable value '${word}'`);
  }

  private parseString(): string {
    const match = /^"((?:[^"\\]|\\.)*)"/.exec(this.text.slice(this.position));
    if (!match) throw this.error('unterminated string');
    this.position += match[0].length;
    return JSON.parse(`"${match[1]}"`) as string;
  }

  private readWhile(pattern: RegExp): string {
    this.skipSpaces();
    const start = this.position;
    while (this.position < this.text.length && pattern.test(this.text[this.position])) this.position++;
    return this.text.slice(start, this.position);
  }

  private consume(character: string): boolean {
    this.skipSpaces();
    if (this.text[this.position] !== character) return false;
    this.position++;
    return true;
  }

  private expect(character: string): void {
    if (!this.consume(character)) throw this.error(`expected '${character}'`);
  }

  private skipSpaces(): void {
    while (this.text[this.position] === ' ') this.position++;
  }

  private error(problem: string) {
    return filterError(`${problem} at position ${this.position} of the filter expression.`);
  }
}
