/**
 * The JSON Schema of the config, generated from its Effect Schema, for editors: JSON and YAML
 * configs get completion and checking (`$schema` in JSON, a `yaml-language-server` comment
 * in YAML). What only a TypeScript config can hold (functions, Redacted, Schemas) matches
 * nothing here.
 */
import { JSONSchema } from "effect"
import { RestApiConfig } from "./schema.js"

export const make = (): object => ({
  ...JSONSchema.make(RestApiConfig, { target: "jsonSchema7" }),
  title: "effect-rest-connector config (dlt rest_api dictionary)"
})
