/**
 * An OpenAPI document as `init --openapi` reads it: Swagger 2.0, OpenAPI 3.0 and 3.1 brought to
 * one shape (document.ts), so detection (resources, paginators, auth) and Schema generation
 * need not know which version they came from. Schemas keep their `$ref`s (named schemas become
 * named Schemas in the generated module, recursive ones `Schema.suspend`); `resolve` follows one.
 */

/** A JSON Schema as the document has it: 3.0 `nullable`, 3.1 type arrays, 2.0 `x-nullable`, `$ref`s kept. */
export type JsonSchema = boolean | { readonly [key: string]: unknown }

export type HttpMethod = "get" | "put" | "post" | "delete" | "options" | "head" | "patch" | "trace"

export interface Parameter {
  readonly name: string
  readonly in: "query" | "path" | "header" | "cookie"
  readonly required: boolean
  /** The value's schema (2.0's inline `type`/`format`/`enum` made one). */
  readonly schema: JsonSchema | undefined
  readonly description: string | undefined
}

/** The success response of an operation (200, else the first 2XX, else `default`), as JSON. */
export interface SuccessResponse {
  readonly status: string
  /** Its `application/json` (or `*\/*+json`, or 2.0's) schema. */
  readonly schema: JsonSchema | undefined
  /** Header names it documents, lower case (`link`, `x-total-count`). */
  readonly headers: ReadonlyArray<string>
  /** Examples the document gives for its body (`example`, `examples.*.value`, 2.0's `examples`). */
  readonly examples: ReadonlyArray<unknown>
  readonly description: string | undefined
}

/** A security requirement: scheme name → scopes. */
export type SecurityRequirement = Readonly<Record<string, ReadonlyArray<string>>>

export interface Operation {
  readonly method: HttpMethod
  /** As in the document: `/repos/{owner}/{repo}/issues`. */
  readonly path: string
  readonly operationId: string | undefined
  readonly summary: string | undefined
  readonly tags: ReadonlyArray<string>
  /** Path-level and operation-level parameters merged (the operation's win), `$ref`s resolved. */
  readonly parameters: ReadonlyArray<Parameter>
  readonly response: SuccessResponse | undefined
  /** The operation's own requirements; undefined: the document's apply. */
  readonly security: ReadonlyArray<SecurityRequirement> | undefined
  readonly deprecated: boolean
}

export type SecurityScheme =
  | { readonly type: "apiKey"; readonly name: string; readonly in: "header" | "query" | "cookie"; readonly description?: string | undefined }
  | { readonly type: "http"; readonly scheme: string; readonly description?: string | undefined }
  | {
    readonly type: "oauth2"
    /** The client credentials flow's token URL (2.0's `application` flow), if the scheme has one. */
    readonly clientCredentialsTokenUrl: string | undefined
    /** The flows it declares: `authorizationCode`, `clientCredentials`, `implicit`, `password`. */
    readonly flows: ReadonlyArray<string>
    readonly scopes: ReadonlyArray<string>
    readonly description?: string | undefined
  }
  | { readonly type: "openIdConnect" | "mutualTLS" | "unknown"; readonly description?: string | undefined }

export interface ApiModel {
  readonly version: "2.0" | "3.0" | "3.1"
  readonly title: string
  readonly description: string | undefined
  /** The first server's URL, variables filled with their defaults (2.0: scheme, host and basePath). */
  readonly baseUrl: string | undefined
  readonly operations: ReadonlyArray<Operation>
  /** Named schemas (`components.schemas`, 2.0's `definitions`), by name. */
  readonly schemas: Readonly<Record<string, JsonSchema>>
  /** Where a named schema's `$ref` points: `#/components/schemas/` or `#/definitions/`. */
  readonly schemaRefPrefix: string
  readonly securitySchemes: Readonly<Record<string, SecurityScheme>>
  /** The document's default security requirements. */
  readonly security: ReadonlyArray<SecurityRequirement>
  /** What reading the document met and worked around (a `$ref` that leads nowhere), for the README stub. */
  readonly notes?: ReadonlyArray<string> | undefined
  /** Follows a local `$ref` (a JSON pointer into the document); undefined when it leads nowhere. */
  readonly resolve: (ref: string) => unknown
}
