/**
 * The JSONata language Step Functions speaks: the 2.0.6 specification ("Transforming data with JSONata":
 * all of 2.0.6 but `$eval`). An expression is parsed with the `jsonata` package pinned to ~2.0.6, so
 * what 2.1 and later added does not parse; the two operators authors reach for first, `??` and `?:`
 * (JSONata 2.1), are refused by name with what to write instead. AWS parses every expression when the
 * definition is created, so definition.ts calls this at load time and jsonata.ts to compile.
 */
import jsonata from 'jsonata';

/** A field is JSONata when its whole string value is "{% <expression> %}" (developer guide). */
const EXPRESSION = /^\{%([\s\S]*)%\}$/;

/** The JSONata expression of a field value, or undefined when the value is a literal. */
export function expressionOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return EXPRESSION.exec(value)?.[1];
}

export type CompiledExpression = ReturnType<typeof jsonata>;

/** The expression does not parse as Step Functions' JSONata; the message says why, in the parser's words. */
export class JsonataSyntaxError extends Error {
  override readonly name = 'JsonataSyntaxError';
}

/** Operators of later JSONata versions, with the 2.0.6 expression that says the same. */
const LATER_OPERATORS: Record<string, string> = {
  '??': 'the ?? operator (coalescing, JSONata 2.1) is not in the JSONata 2.0.6 that Step Functions implements; write $exists(a) ? a : b',
  '?:': 'the ?: operator (default, JSONata 2.1) is not in the JSONata 2.0.6 that Step Functions implements; write a ? a : b',
};

export function parseExpression(source: string): CompiledExpression {
  try {
    return jsonata(source);
  } catch (error) {
    const { code, message, position } = error as { code?: string; message?: string; position?: number };
    // The parser stops at the second character of the operator it does not know (position counts from 1).
    const operator = typeof position === 'number' ? source.slice(position - 2, position) : '';
    const later = LATER_OPERATORS[operator];
    if (later) throw new JsonataSyntaxError(`cannot parse JSONata: ${later}`);
    throw new JsonataSyntaxError(`cannot parse JSONata: ${code ? `${code}: ` : ''}${message ?? String(error)}`);
  }
}
