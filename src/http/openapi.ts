import { z, type OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from './env.ts'
import { errorResponse, INTERNAL_ERROR } from './schemas.ts'

const DESCRIPTION = `Run and drive many Discord bots through one REST API: log a bot in with its token, then read its guilds,
channels, members and messages and send messages with the session id.

Every error is the \`Error\` shape with the status below. Besides each route's own, any request may get:
a \`404\` for a path that is not a route (a trailing slash included), a \`405\` with \`Allow\` for a method the path
does not have (both shown as the \`NotFound\` and \`MethodNotAllowed\` responses), a \`400\` \`bad_request\` for a
\`Host\` header that is not a host name or address with an optional port (checked before routing), and a \`500\` for a bug of ours.`

/** The parts of /openapi.json that are not a route: servers, security schemes, tags, the docs routes. */
export function describeApi(app: OpenAPIHono<AppEnv>, publicUrl: string | null = null) {
  const registry = app.openAPIRegistry
  registry.registerComponent('securitySchemes', 'admin', { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' })
  registry.registerComponent('securitySchemes', 'session', {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description: 'The sessionId from POST /api/auth/login (a `Bearer ` prefix is accepted too)',
  })
  // responses of no route in particular: plain objects, as the registry's components take them
  const anyRoute = (status: number, description: string) => {
    const { headers } = errorResponse(status, description)
    return { description, headers, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }
  }
  registry.registerComponent('responses', 'NotFound', anyRoute(404, 'No such route'))
  registry.registerComponent('responses', 'MethodNotAllowed', anyRoute(405, 'The path has no route for this method'))
  registry.registerComponent(
    'responses',
    'InternalError',
    anyRoute(500, 'A bug of ours; the details are in the log, never in the answer'),
  )

  registry.registerPath({
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApi',
    tags: ['docs'],
    summary: 'This document',
    description: 'OpenAPI 3.1, generated from the schemas that validate the requests.',
    security: [],
    responses: {
      200: {
        description: 'The OpenAPI document',
        content: { 'application/json': { schema: z.object({}).passthrough() } },
      },
      ...INTERNAL_ERROR,
    },
  })
  registry.registerPath({
    method: 'get',
    path: '/docs',
    operationId: 'getDocsPage',
    tags: ['docs'],
    summary: 'Browsable API docs',
    description:
      'Swagger UI, served from the installed package (no internet access needed), under a strict Content-Security-Policy.',
    security: [],
    responses: {
      200: {
        description: 'The docs page',
        headers: {
          'Content-Security-Policy': { description: 'Only this origin', required: true, schema: { type: 'string' } },
        },
        content: { 'text/html': { schema: z.string() } },
      },
      ...INTERNAL_ERROR,
    },
  })
  registry.registerPath({
    method: 'get',
    path: '/docs/{asset}',
    operationId: 'getDocsAsset',
    tags: ['docs'],
    summary: "The docs page's scripts and stylesheet",
    description: "Swagger UI's files and the page's start-up script.",
    security: [],
    request: {
      params: z.object({
        asset: z
          .enum(['swagger-ui.css', 'swagger-ui-bundle.js', 'init.js'])
          .openapi({ param: { description: 'The file' } }),
      }),
    },
    responses: {
      200: {
        description: 'The file',
        content: { 'text/css': { schema: z.string() }, 'text/javascript': { schema: z.string() } },
      },
      404: { $ref: '#/components/responses/NotFound' },
      ...INTERNAL_ERROR,
    },
  })

  app.doc31('/openapi.json', (c) => ({
    openapi: '3.1.0',
    info: {
      title: 'Botvisor',
      version: '0.1.0',
      description: DESCRIPTION,
      license: { name: 'UNLICENSED', identifier: 'LicenseRef-UNLICENSED' },
      contact: { name: 'Botvisor maintainers' },
    },
    // PUBLIC_URL, else the origin the document was asked from (its Host checked before routing, host.ts)
    servers: [{ url: publicUrl ?? new URL(c.req.url).origin, description: 'This service' }],
    tags: [
      { name: 'auth', description: 'Sessions: log a bot in, out, and see its state' },
      { name: 'read', description: "What the session's bot sees" },
      { name: 'write', description: 'Acting as the bot' },
      { name: 'health', description: 'Probes for orchestrators and load balancers' },
      { name: 'admin', description: 'Operating the service (ADMIN_TOKEN)' },
      { name: 'docs', description: 'This document and its browsable page' },
      { name: 'webhooks', description: "Signed HTTP deliveries of the bot's live events" },
    ],
  }))
}
