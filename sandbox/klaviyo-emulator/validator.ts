import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { invalid } from './errors';
import type { KlaviyoSpec, SpecOperation } from './spec';

const SPEC_ID = 'klaviyo-openapi';

/**
 * Validates query parameters and JSON bodies against the spec. The whole spec document is
 * registered once; schemas are referenced by JSON pointer (so the spec's own `$ref`s resolve)
 * and compiled lazily, once per pointer.
 */
export class RequestValidator {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(spec: KlaviyoSpec) {
    // strict off: the spec carries OpenAPI keywords (example, x-klaviyo-*) that are not JSON Schema.
    this.ajv = new Ajv({ strict: false, validateSchema: false, allErrors: false });
    addFormats(this.ajv);
    this.ajv.addSchema(withJsonSchemaNulls(spec.document) as Record<string, unknown>, SPEC_ID);
  }

  /** Returns the query with values typed as the spec declares them (arrays split on commas). */
  validateQuery(operation: SpecOperation, query: URLSearchParams): Record<string, unknown> {
    const typed: Record<string, unknown> = {};
    for (const [name, raw] of query) {
      const parameter = operation.queryParameters.get(name);
      if (!parameter)
        throw invalid(`'${name}' is not a valid query parameter for ${operation.operationId}.`, { parameter: name });
      const value = coerceQueryValue(raw, parameter.type);
      const validate = this.schemaAt(parameter.schemaPointer);
      if (!validate(value)) {
        throw invalid(`Invalid value for '${name}': ${describeError(mostSpecificError(validate.errors!))}`, {
          parameter: name,
        });
      }
      typed[name] = value;
    }
    for (const parameter of operation.queryParameters.values()) {
      if (parameter.required && !(parameter.name in typed)) {
        throw invalid(`'${parameter.name}' is a required query parameter.`, { parameter: parameter.name });
      }
    }
    return typed;
  }

  validateBody(operation: SpecOperation, body: unknown): void {
    if (!operation.bodySchemaPointer) return;
    const validate = this.schemaAt(operation.bodySchemaPointer);
    if (validate(body)) return;
    const error = mostSpecificError(validate.errors!);
    throw invalid(describeError(error), { pointer: pointerOf(error) });
  }

  private schemaAt(pointer: string): ValidateFunction {
    let validate = this.compiled.get(pointer);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `${SPEC_ID}${encodePointer(pointer)}` });
      this.compiled.set(pointer, validate);
    }
    return validate;
  }
}

function coerceQueryValue(raw: string, type: string | undefined): unknown {
  switch (type) {
    case 'array':
      return raw.split(',');
    case 'integer':
    case 'number':
      return raw.trim() !== '' && !Number.isNaN(Number(raw)) ? Number(raw) : raw;
    case 'boolean':
      return raw === 'true' ? true : raw === 'false' ? false : raw;
    default:
      return raw;
  }
}

/**
 * OpenAPI 3.0 `nullable: true` becomes `anyOf: [<schema>, { type: 'null' }]` (Ajv's own
 * `nullable` support refuses it beside `$ref` or `oneOf`, which this spec does). Works on a copy.
 */
function withJsonSchemaNulls(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withJsonSchemaNulls);
  if (node === null || typeof node !== 'object') return node;
  const { nullable, ...rest } = node as Record<string, unknown>;
  const converted = Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, withJsonSchemaNulls(value)]));
  if (nullable !== true) return nullable === undefined ? converted : { ...converted, nullable };
  return { anyOf: [converted, { type: 'null' }] };
}

/** A failed `anyOf` branch reports before the `anyOf` itself: that branch error says more. */
function mostSpecificError(errors: ErrorObject[]): ErrorObject {
  return errors.find((error) => error.keyword !== 'anyOf' && error.keyword !== 'oneOf') ?? errors[0];
}

/** Points at the offending member: for a missing or unknown property, at that property. */
function pointerOf(error: ErrorObject): string {
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  const property = params.missingProperty ?? params.additionalProperty;
  const pointer = property === undefined ? error.instancePath : `${error.instancePath}/${property}`;
  return pointer || '/data';
}

function describeError(error: ErrorObject): string {
  if (error.keyword === 'required') return `'${error.params.missingProperty}' is a required field.`;
  if (error.keyword === 'additionalProperties') return `'${error.params.additionalProperty}' is not a valid field.`;
  const field = error.instancePath.split('/').pop() || 'value';
  const allowed = error.keyword === 'enum' ? ` (${(error.params.allowedValues as unknown[]).join(', ')})` : '';
  return `'${field}' ${error.message}${allowed}.`;
}

/** `{`, `}`, `[` and `]` in path templates and parameter names are not valid in a URI fragment. */
function encodePointer(pointer: string): string {
  return pointer.replace(/[{}[\] ]/g, (character) => encodeURIComponent(character));
}
