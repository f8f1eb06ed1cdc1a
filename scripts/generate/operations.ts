/**
 * The route table: walks the spec's operations with openapi-backend's router and
 * renders generated/operations.ts (path -> method -> operationId, and per operation
 * its query parameters).
 */
import { type Document, OpenAPIBackend } from 'openapi-backend';
import { SPEC_HEADER } from './header.js';
import { isObject, type JsonObject } from './json.js';

/** The one HTTP method set the route table may contain. */
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** What the server needs to know about one query parameter. */
export interface QueryParam {
  name: string;
  required: boolean;
  enum?: string[];
}

/** One operation of the spec, as the route table and the query validators need it. */
export interface OperationEntry {
  operationId: string;
  method: string;
  path: string;
  aliasOf?: string;
  query: QueryParam[];
}

/** Uses openapi-backend's router to list operations with their dereferenced parameters. */
export async function walkOperations(openapi: JsonObject): Promise<OperationEntry[]> {
  const api = new OpenAPIBackend({ definition: structuredClone(openapi) as unknown as Document, quick: true });
  await api.init();
  const entries: OperationEntry[] = [];
  for (const op of api.getOperations()) {
    const method = op.method.toUpperCase();
    if (!(METHODS as readonly string[]).includes(method)) {
      throw new Error(`${op.operationId}: unsupported method ${method}`);
    }
    if (!op.operationId) {
      throw new Error(`${method} ${op.path}: every operation needs an operationId`);
    }
    const query: QueryParam[] = [];
    for (const param of (op.parameters ?? []) as unknown as JsonObject[]) {
      if (param.in !== 'query') {
        throw new Error(`${op.operationId}: only query parameters are supported, found ${String(param.in)}`);
      }
      const schema = param.schema;
      if (!isObject(schema) || schema.type !== 'string') {
        throw new Error(`${op.operationId}: query parameter ${String(param.name)} must be a string`);
      }
      const entry: QueryParam = { name: String(param.name), required: param.required === true };
      if (Array.isArray(schema.enum)) {
        entry.enum = schema.enum.map(String);
      }
      query.push(entry);
    }
    const raw = op as unknown as JsonObject;
    const aliasOf = raw['x-xprov-alias-of'];
    entries.push({
      operationId: op.operationId,
      method,
      path: op.path,
      ...(typeof aliasOf === 'string' ? { aliasOf } : {}),
      query,
    });
  }
  for (const entry of entries) {
    if (entry.aliasOf && !entries.some((e) => e.operationId === entry.aliasOf && !e.aliasOf)) {
      throw new Error(`${entry.operationId}: x-xprov-alias-of names no primary operation`);
    }
  }
  return entries.sort((a, b) => a.operationId.localeCompare(b.operationId));
}

/** operations.ts: the OperationId union, every operation's spec and the route table. */
export function renderOperations(operations: OperationEntry[]): string {
  const byPath = new Map<string, Record<string, string>>();
  for (const op of operations) {
    const methods = byPath.get(op.path) ?? {};
    methods[op.method] = op.operationId;
    byPath.set(op.path, methods);
  }
  const routes = Object.fromEntries(
    [...byPath.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([p, m]) => [p, Object.fromEntries(Object.entries(m).sort(([a], [b]) => a.localeCompare(b)))]),
  );
  const table = Object.fromEntries(
    operations.map((op) => [
      op.operationId,
      {
        method: op.method,
        path: op.path,
        ...(op.aliasOf ? { aliasOf: op.aliasOf } : {}),
        query: op.query,
      },
    ]),
  );
  const ids = operations.map((op) => JSON.stringify(op.operationId)).join(' | ');
  return `${SPEC_HEADER}

/** Every operationId in the spec. */
export type OperationId = ${ids};

/** One query parameter of an operation, as the spec declares it. */
export interface QueryParamSpec {
  readonly name: string;
  readonly required: boolean;
  readonly enum?: readonly string[];
}

/** What the spec says about one operation. */
export interface OperationSpec {
  readonly method: string;
  readonly path: string;
  /** Set when the operation is the same as another under a second method (x-xprov-alias-of). */
  readonly aliasOf?: OperationId;
  readonly query: readonly QueryParamSpec[];
}

/** Every operation, by operationId. */
export const operationSpecs: { readonly [K in OperationId]: OperationSpec } = ${JSON.stringify(table, null, 2)};

/** The route table: exact path, then HTTP method, to operationId. */
export const routes: { readonly [path: string]: { readonly [method: string]: OperationId } } = ${JSON.stringify(routes, null, 2)};
`;
}
