import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import express, { type Express } from 'express';
import { parse } from 'yaml';

/** The service's own HTTP API as docs/openapi.yaml describes it, to check answers against. */

interface ResponseObject {
  $ref?: string;
  content?: Record<string, { schema?: unknown }>;
}
interface Operation {
  responses: Record<string, ResponseObject>;
}
interface Description {
  paths: Record<string, Record<string, Operation>>;
  components: { responses: Record<string, ResponseObject> };
}

export const apiDescriptionPath = path.join(__dirname, '..', '..', 'docs', 'openapi.yaml');
const description = parse(readFileSync(apiDescriptionPath, 'utf8')) as Description;
const documentId = 'openapi';
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(description, documentId);

const pointerPart = (part: string) => part.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * The path template (`/sync/{type}/status`) a concrete path and method match, when the description
 * has one; a literal segment wins over a parameter (`/sync/status` over `/sync/{type}`).
 */
export function pathTemplateOf(requestPath: string, method: string): string | undefined {
  const matching = Object.keys(description.paths).filter((template) => {
    const pattern = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+');
    return new RegExp(`^${pattern}$`).test(requestPath) && description.paths[template][method] !== undefined;
  });
  const parameters = (template: string) => (template.match(/\{/g) ?? []).length;
  return matching.sort((a, b) => parameters(a) - parameters(b))[0];
}

/** One answer the service gave: what was asked and what came back. */
export interface RecordedAnswer {
  method: string;
  path: string;
  status: number;
  contentType: string;
  body: unknown;
}

/**
 * What is wrong with an answer by the description: an undescribed route or status, a content type
 * it does not list, a body its schema refuses. Empty when the answer matches.
 */
export function problemsWith(answer: RecordedAnswer): string[] {
  const method = answer.method.toLowerCase();
  const template = pathTemplateOf(answer.path, method);
  const where = `${answer.method} ${answer.path} → ${answer.status}`;
  // An unknown route answers 404, or 401 first when the key is missing: no description can list it.
  if (!template) return [404, 401].includes(answer.status) ? [] : [`${where}: the route is not described`];
  const responses = description.paths[template][method].responses;
  let response = responses[String(answer.status)];
  if (!response) return [`${where}: the status is not described for this route`];
  let responsePointer = `#/paths/${pointerPart(template)}/${method}/responses/${answer.status}`;
  if (response.$ref) {
    responsePointer = response.$ref;
    response = description.components.responses[response.$ref.split('/').pop()!];
  }
  const mediaType = answer.contentType.split(';')[0].trim();
  const content = response.content ?? {};
  if (!(mediaType in content)) {
    return [`${where}: content type ${mediaType || '(none)'} is not described (${Object.keys(content).join(', ')})`];
  }
  if (content[mediaType].schema === undefined) return [];
  const validate = ajv.getSchema(`${documentId}${responsePointer}/content/${pointerPart(mediaType)}/schema`);
  if (!validate) return [`${where}: no schema at ${responsePointer}`];
  if (validate(answer.body)) return [];
  return (validate.errors ?? []).map((error) => `${where}: body${error.instancePath} ${error.message ?? ''}`);
}

/** Wraps an app so that every JSON answer it gives is recorded, to be checked against the description. */
export function recordingAnswers(app: Express): { app: Express; answers: RecordedAnswer[] } {
  const answers: RecordedAnswer[] = [];
  const outer = express();
  outer.use((request, response, next) => {
    const json = response.json.bind(response);
    response.json = (body: unknown) => {
      const sent = json(body);
      answers.push({
        method: request.method,
        path: request.originalUrl.split('?')[0],
        status: response.statusCode,
        contentType: String(response.getHeader('content-type') ?? ''),
        body,
      });
      return sent;
    };
    next();
  });
  outer.use(app);
  return { app: outer, answers };
}
