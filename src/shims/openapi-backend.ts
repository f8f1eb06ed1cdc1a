/**
 * openapi-backend over the published spec (generated/openapi.json), for the contract
 * tools only: `xprov check` validates answers with it, `xprov mock` takes its examples
 * from it. The quirks it needs handling live here:
 *
 * - It is large and CommonJS, and the serving path never needs it: the bundle keeps it
 *   external (scripts/bundle.ts) and it is loaded here with a dynamic import, when a
 *   command that needs it runs.
 * - Its response validation stops at the first problem unless ajv's `allErrors` is set;
 *   a checker should name them all.
 * - For an answer the spec declares without a body (reprovision's 200) it validates
 *   against another answer's schema and mocks `{}`. Here such an answer must be empty,
 *   and has no example.
 */
import type { Document, OpenAPIBackend } from 'openapi-backend';
import definition from '../../generated/openapi.json' with { type: 'json' };
import { schemaMessages } from '../contract/schema-messages.js';
import type { OperationId } from '../contract/types.js';

/** The spec, as the contract tools use it. */
export interface SpecBackend {
  /**
   * Why an answer of `operationId` does not conform to the spec: a declared status, the
   * JSON content type, a body valid against the declared schema, or no body where none
   * is declared. Empty when it conforms. Messages name fields, never values.
   */
  answerProblems(operationId: OperationId, answer: { readonly status: number; readonly contentType: string | undefined; readonly body: Buffer }): string[];
  /** The spec's example body of the 200 answer of `operationId`; undefined when it declares none. */
  example(operationId: OperationId): unknown;
}

const JSON_TYPE = /^application\/json\s*(;|$)/i;

/** Whether the spec declares a body for `status` of the operation (falling back to `default`). */
function declaredResponse(api: OpenAPIBackend, operationId: OperationId, status: number): { declared: boolean; hasBody: boolean } {
  const responses = api.getOperation(operationId)?.responses ?? {};
  const response = responses[String(status)] ?? responses.default;
  return { declared: response !== undefined, hasBody: response !== undefined && 'content' in response && response.content !== undefined };
}

/** Loads openapi-backend and initialises it over the spec. */
export async function loadSpecBackend(): Promise<SpecBackend> {
  const { OpenAPIBackend } = await import('openapi-backend');
  // structuredClone: openapi-backend dereferences the document it is given in place.
  const api = new OpenAPIBackend({
    definition: structuredClone(definition) as unknown as Document,
    quick: false,
    validate: true,
    ajvOpts: { allErrors: true },
  });
  await api.init();
  return {
    answerProblems(operationId, { status, contentType, body }) {
      const { declared, hasBody } = declaredResponse(api, operationId, status);
      if (!declared) {
        return [`status ${status} is not declared for ${operationId}`];
      }
      if (!hasBody) {
        return body.length === 0 ? [] : [`the spec declares no body for ${status}, but ${body.length} bytes came`];
      }
      if (contentType === undefined || !JSON_TYPE.test(contentType)) {
        return [`the content type is ${contentType === undefined ? 'missing' : JSON.stringify(contentType)}, not application/json`];
      }
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        return ['the body is not JSON'];
      }
      const result = api.validateResponse(json, operationId, status);
      return result.valid ? [] : schemaMessages(result.errors ?? []).map((problem) => problem.replace(/^the document /, 'the body '));
    },
    example(operationId) {
      return declaredResponse(api, operationId, 200).hasBody ? api.mockResponseForOperation(operationId).mock : undefined;
    },
  };
}
