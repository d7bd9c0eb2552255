// Holds real answers of a gateway to the OpenAPI document: the status must be documented for
// the operation, its required headers present, its content type documented and its JSON body
// valid against the schema (Ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses it). Records which
// operation and status each answer exercised, so a test can require that all were.
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { Response } from './http.js';

type Obj = Record<string, unknown>;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;
/** Response headers that are part of the contract: an answer that sends one must document it. */
const CONTRACT_HEADER = /^(?:x-auth-.*|www-authenticate|retry-after|location)$/;
// ajv-formats is CommonJS with a default export property.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ??
  addFormatsModule) as unknown as (ajv: Ajv2020) => Ajv2020;

export interface Verdict {
  /** Every problem found; empty when the answer is true to the document. */
  problems: string[];
}

export class OpenApiChecker {
  private readonly ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
  private readonly compiled = new Map<Obj, ValidateFunction>();
  /** `METHOD /path status` of every answer checked. */
  readonly seen = new Set<string>();

  private constructor(readonly api: Obj) {
    addFormats(this.ajv);
  }

  /** Validates `doc` as OpenAPI 3.1 (throws on the first problem) and keeps it dereferenced. */
  static async load(doc: Obj): Promise<OpenApiChecker> {
    await SwaggerParser.validate(structuredClone(doc) as never);
    const api = (await SwaggerParser.dereference(structuredClone(doc) as never)) as unknown as Obj;
    return new OpenApiChecker(api);
  }

  private get paths(): Record<string, Record<string, Obj>> {
    return this.api.paths as Record<string, Record<string, Obj>>;
  }

  /** Every `METHOD /path` the document lists. */
  operations(): string[] {
    return Object.entries(this.paths).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m]).map((m) => `${m.toUpperCase()} ${path}`),
    );
  }

  /** Every `METHOD /path status` the document lists. */
  documentedStatuses(): string[] {
    return Object.entries(this.paths).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m]).flatMap((m) =>
        Object.keys((item[m] as { responses: Obj }).responses).map((s) => `${m.toUpperCase()} ${path} ${s}`),
      ),
    );
  }

  private validator(schema: Obj): ValidateFunction {
    let v = this.compiled.get(schema);
    if (!v) this.compiled.set(schema, (v = this.ajv.compile(schema)));
    return v;
  }

  /** Checks a request body we send against the operation's requestBody schema. */
  requestProblems(method: string, path: string, mediaType: string, body: unknown): string[] {
    const op = this.paths[path]?.[method.toLowerCase()] as { requestBody?: { content: Obj } } | undefined;
    const media = op?.requestBody?.content[mediaType] as { schema: Obj } | undefined;
    if (!media) return [`${method} ${path}: no ${mediaType} request body documented`];
    const v = this.validator(media.schema);
    return v(body) ? [] : [`${method} ${path} request: ${this.ajv.errorsText(v.errors)}`];
  }

  /** Checks one real answer to `method path` (the templated path, e.g. /api/v1/users/{userId}/sessions). */
  check(method: string, path: string, res: Response): Verdict {
    const name = `${method} ${path}`;
    const op = this.paths[path]?.[method.toLowerCase()] as { responses: Record<string, Obj> } | undefined;
    if (!op) return { problems: [`${name} is not in the document`] };
    const doc = op.responses[String(res.status)] as
      | { headers?: Record<string, { required?: boolean; schema?: Obj }>; content?: Record<string, { schema: Obj }> }
      | undefined;
    if (!doc) return { problems: [`${name}: status ${res.status} is not documented (body ${res.body.slice(0, 200)})`] };
    this.seen.add(`${name} ${res.status}`);
    const problems: string[] = [];
    const documented = new Set(Object.keys(doc.headers ?? {}).map((h) => h.toLowerCase()));
    for (const [header, h] of Object.entries(doc.headers ?? {})) {
      const value = res.headers[header.toLowerCase()];
      if (value === undefined) {
        if (h.required) problems.push(`${name} ${res.status}: required header ${header} missing`);
      } else if (h.schema && typeof value === 'string') {
        const v = this.validator(h.schema);
        if (!v(value)) problems.push(`${name} ${res.status}: header ${header}: ${this.ajv.errorsText(v.errors)}`);
      }
    }
    // The headers a client acts on must be documented where they are sent.
    for (const header of Object.keys(res.headers)) {
      if (CONTRACT_HEADER.test(header) && !documented.has(header))
        problems.push(`${name} ${res.status}: header ${header} is sent but not documented`);
    }
    if (!doc.content) {
      if (res.body !== '') problems.push(`${name} ${res.status}: a body where none is documented`);
      return { problems };
    }
    const type = String(res.headers['content-type'] ?? '')
      .split(';', 1)[0]!
      .trim();
    const media = doc.content[type];
    if (!media) return { problems: [...problems, `${name} ${res.status}: content type "${type}" not documented`] };
    if (type === 'application/json') {
      let body: unknown;
      try {
        body = JSON.parse(res.body);
      } catch {
        return { problems: [...problems, `${name} ${res.status}: not JSON`] };
      }
      const code = (body as { code?: unknown } | null)?.code;
      if (code !== undefined && code !== res.headers['x-auth-error-code'])
        problems.push(`${name} ${res.status}: body code ${String(code)} is not the X-Auth-Error-Code header`);
      const v = this.validator(media.schema);
      if (!v(body))
        problems.push(`${name} ${res.status}: ${this.ajv.errorsText(v.errors)} in ${res.body.slice(0, 300)}`);
    }
    return { problems };
  }
}
