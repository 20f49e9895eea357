import Ajv2020 from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'

/**
 * Holds every response the tests see to what /openapi.json promises: the status is documented for the operation
 * (or, for a path or method that is no route, as the NotFound / MethodNotAllowed answers), the headers the document
 * marks required are there, the content type is one it lists, and a JSON body matches its schema. The document
 * cannot drift from what the service sends without a test going red.
 */

type Json = Record<string, any>
export type ResponseCheck = (method: string, url: string, status: number, headers: Headers, body: string) => string[]

const pointer = (...parts: string[]) => parts.map((part) => part.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')

export function createResponseCheck(document: Json): ResponseCheck {
  const ajv = new Ajv2020({ strict: false, validateSchema: false, allErrors: true })
  addFormats(ajv)
  ajv.addSchema(document, 'openapi.json')
  const validators = new Map<string, ReturnType<typeof ajv.compile>>()
  const validatorAt = (location: string) => {
    const known = validators.get(location)
    if (known) return known
    const validate = ajv.compile({ $ref: `openapi.json#/${location}` })
    validators.set(location, validate)
    return validate
  }
  const paths = Object.entries(document.paths as Json).map(([template, item]) => ({
    template,
    item: item as Json,
    pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  }))
  const resolve = (response: Json): { response: Json; location: string | null } => {
    if (typeof response.$ref !== 'string') return { response, location: null }
    const name = response.$ref.replace('#/components/responses/', '')
    return { response: document.components.responses[name], location: pointer('components', 'responses', name) }
  }

  return (method, url, status, headers, body) => {
    const path = new URL(url, 'http://any').pathname
    const verb = method.toLowerCase()
    const where = `${method} ${path} → ${status}`
    // a CORS preflight is answered by the CORS middleware for any path; it carries no API body
    if (verb === 'options' && status === 204) return []
    const found = paths.find((candidate) => candidate.pattern.test(path))
    let response: Json | undefined
    let location: string
    if (!found) {
      if (status !== 404) return [`${where}: the path is not in the document, so only its NotFound answer is`]
      ;({ response } = resolve({ $ref: '#/components/responses/NotFound' }))
      location = pointer('components', 'responses', 'NotFound')
    } else if (!(verb in found.item) && !(verb === 'head' && 'get' in found.item)) {
      if (status !== 405)
        return [`${where}: ${method} is not documented for ${found.template}, so only its MethodNotAllowed answer is`]
      ;({ response } = resolve({ $ref: '#/components/responses/MethodNotAllowed' }))
      location = pointer('components', 'responses', 'MethodNotAllowed')
    } else {
      const operation = found.item[verb in found.item ? verb : 'get'] as Json
      const key = [String(status), `${String(status)[0]}XX`, 'default'].find(
        (candidate) => candidate in operation.responses,
      )
      if (!key) return [`${where}: status not documented (documented: ${Object.keys(operation.responses).join(', ')})`]
      const resolved = resolve(operation.responses[key])
      response = resolved.response
      location =
        resolved.location ?? pointer('paths', found.template, verb in found.item ? verb : 'get', 'responses', key)
    }
    if (!response) return [`${where}: the document's response is missing`]

    const problems: string[] = []
    for (const [name, header] of Object.entries((response.headers ?? {}) as Json)) {
      if (header.required && !headers.has(name)) problems.push(`${where}: required header ${name} missing`)
    }
    const content = (response.content ?? {}) as Json
    const mediaTypes = Object.keys(content)
    if (mediaTypes.length === 0) return problems
    const type = (headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
    if (!mediaTypes.includes(type))
      return [...problems, `${where}: content type "${type}" not documented (${mediaTypes.join(', ')})`]
    if (verb === 'head' || !type.endsWith('json')) return problems
    let parsed: unknown
    try {
      parsed = JSON.parse(body)
    } catch {
      return [...problems, `${where}: body is not JSON`]
    }
    const validate = validatorAt(`${location}/${pointer('content', type, 'schema')}`)
    if (!validate(parsed)) {
      const errors = (validate.errors ?? []).slice(0, 5).map((error) => `${error.instancePath || '/'} ${error.message}`)
      problems.push(`${where}: body does not match the schema: ${errors.join('; ')}`)
    }
    return problems
  }
}

const checks = new Map<string, Promise<ResponseCheck>>()

/** Throws, naming every problem, when a response of the service at `baseUrl` breaks its own /openapi.json. */
export async function expectDocumented(
  baseUrl: string,
  method: string,
  path: string,
  res: Response,
  body: string,
): Promise<void> {
  let check = checks.get(baseUrl)
  if (!check) {
    check = fetch(`${baseUrl}/openapi.json`).then(async (doc) => createResponseCheck((await doc.json()) as Json))
    checks.set(baseUrl, check)
  }
  const problems = (await check)(method, path, res.status, res.headers, body)
  if (problems.length > 0) throw new Error(`Response breaks /openapi.json:\n  ${problems.join('\n  ')}`)
}
