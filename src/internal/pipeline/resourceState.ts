/** A resource's stored state (`_rc_state`) and the incremental runs made from it. */
import { formTemplates, type IncrementalSpec, type ResourceSpec } from "../config/spec.js"
import type { Secret } from "../config/secrets.js"
import * as Incremental from "../extract/incremental.js"
import * as Template from "../syntax/template.js"

type Resource = ResourceSpec<Secret>

/** Stored `_rc_state` of a resource: its incremental cursor, or one per parent record for a child. */
export interface ResourceState {
  readonly incremental?: Incremental.IncrementalState | undefined
  readonly perParent?: Readonly<Record<string, Incremental.IncrementalState>> | undefined
}

export const readState = (u: unknown): ResourceState => {
  if (typeof u !== "object" || u === null) return {}
  const incremental = "incremental" in u ? Incremental.parseState(u.incremental) : undefined
  const perParent: Record<string, Incremental.IncrementalState> = {}
  if ("perParent" in u && typeof u.perParent === "object" && u.perParent !== null) {
    for (const [key, value] of Object.entries(u.perParent)) {
      const state = Incremental.parseState(value)
      if (state !== undefined) perParent[key] = state
    }
  }
  return { incremental, perParent }
}

/** The key of a parent record for a child's per-parent cursor: the parent fields its requests use. */
export const parentKey = (resource: Resource, record: unknown): string => {
  const fields = new Set<string>()
  const add = (t: Template.Template) => {
    for (const p of Template.placeholders(t)) if (p._tag === "Parent") fields.add(p.field.source)
  }
  add(resource.path)
  for (const v of [...Object.values(resource.params), ...Object.values(resource.headers)]) if (v._tag === "Template") add(v.template)
  if (resource.json !== undefined) {
    for (const p of Template.jsonPlaceholders(resource.json)) if (p._tag === "Parent") fields.add(p.field.source)
  }
  for (const t of formTemplates(resource.form)) add(t)
  const values = [...fields].sort().map((f) => [f, typeof record === "object" && record !== null ? Reflect.get(record, f) : undefined])
  return JSON.stringify(values)
}

/** dlt's `convert` changes the values put into requests, not the cursor kept in state. */
export const converted = (run: Incremental.IncrementalRun, spec: IncrementalSpec): Incremental.IncrementalRun => {
  const convert = spec.convert
  if (convert === undefined) return run
  const p = run.placeholders
  return {
    ...run,
    placeholders: {
      start_value: convert(p.start_value),
      initial_value: convert(p.initial_value),
      last_value: convert(p.last_value),
      end_value: convert(p.end_value)
    }
  }
}
