import { isSnowflake } from '../snowflake.ts'
import { invalidFormBody } from './errors.ts'

/** Query and path validation with Discord's 50035 messages (observed wording of its form-body errors). */

export function readInt(
  query: URLSearchParams,
  name: string,
  range: { min: number; max: number; fallback: number },
): number {
  const raw = query.get(name)
  if (raw === null || raw === '') return range.fallback
  if (!/^-?\d+$/.test(raw)) throw invalidFormBody(name, 'NUMBER_TYPE_COERCE', `Value "${raw}" is not int.`)
  const value = Number(raw)
  if (value < range.min) {
    throw invalidFormBody(name, 'NUMBER_TYPE_MIN', `int value should be greater than or equal to ${range.min}.`)
  }
  if (value > range.max) {
    throw invalidFormBody(name, 'NUMBER_TYPE_MAX', `int value should be less than or equal to ${range.max}.`)
  }
  return value
}

export function readSnowflake(query: URLSearchParams, name: string): string | null {
  const raw = query.get(name)
  if (raw === null || raw === '') return null
  return checkSnowflake(name, raw)
}

export function checkSnowflake(name: string, raw: string): string {
  if (!isSnowflake(raw)) throw invalidFormBody(name, 'NUMBER_TYPE_COERCE', `Value "${raw}" is not snowflake.`)
  return raw
}

export function readBool(query: URLSearchParams, name: string): boolean {
  const raw = query.get(name)?.toLowerCase()
  return raw === 'true' || raw === '1'
}
