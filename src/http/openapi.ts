import { PERMISSIONS } from '../authz/permissions.ts';
import type { AnyOperation } from '../ops/types.ts';
import { inputJsonSchema, outputJsonSchema } from './json-schema.ts';
import { REST_PREFIX } from './rest.ts';

/** OpenAPI 3.1, generated from the same operation definitions as the MCP tools. */
export function openApiDocument(ops: readonly AnyOperation[], baseUrl: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of ops) {
    const path = REST_PREFIX + op.rest.path;
    const method = op.rest.method.toLowerCase();
    const input = inputJsonSchema(op);
    const pathParams = [...op.rest.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    const inQuery = op.rest.method === 'GET' || op.rest.method === 'DELETE';
    const props = input.properties ?? {};
    const parameters = [
      { name: 'X-Tenant-Id', in: 'header', required: false, description: "Tenant slug; defaults to the token's tenant and must match it", schema: { type: 'string' } },
      { name: 'X-Project-Id', in: 'header', required: false, description: 'Project slug or id, for project-scoped calls', schema: { type: 'string' } },
      ...pathParams.map((name) => ({ name, in: 'path', required: true, schema: props[name] ?? { type: 'string' } })),
      ...(inQuery
        ? Object.entries(props)
            .filter(([name]) => !pathParams.includes(name))
            .map(([name, schema]) => ({ name, in: 'query', required: (input.required ?? []).includes(name), schema }))
        : []),
    ];
    const bodySchema = { ...input, properties: Object.fromEntries(Object.entries(props).filter(([n]) => !pathParams.includes(n))), required: (input.required ?? []).filter((n) => !pathParams.includes(n)) };
    const created = op.rest.method === 'POST' && !op.annotations.idempotent;
    paths[path] ??= {};
    paths[path][method] = {
      operationId: op.name,
      summary: op.title,
      description: op.description + (op.irreversible ? '\n\nIrreversible: send `confirm` with the target name.' : ''),
      tags: [op.name.split('.')[0]],
      'x-warden-permission': op.permission,
      'x-warden-annotations': op.annotations,
      parameters,
      ...(inQuery ? {} : { requestBody: { required: false, content: { 'application/json': { schema: bodySchema } } } }),
      responses: {
        [created ? '201' : '200']: { description: 'Success', content: { 'application/json': { schema: outputJsonSchema(op) } } },
        default: { description: 'Error (RFC 9457 problem details)', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
      },
      security: [{ bearer: op.permission ? [op.permission] : [] }],
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Warden API', version: '1', description: 'The same operations as the Warden MCP tools. Authenticate with a personal access token.' },
    servers: [{ url: baseUrl }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'Personal access token (wdn_pat_…). Scopes: ' + Object.keys(PERMISSIONS).join(', ') },
      },
      schemas: {
        Problem: {
          type: 'object',
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            code: { type: 'string' },
            field: { type: 'string' },
            hint: { type: 'string' },
            issues: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } },
            request_id: { type: 'string' },
          },
          required: ['type', 'title', 'status', 'detail', 'code', 'request_id'],
        },
      },
    },
  };
}
