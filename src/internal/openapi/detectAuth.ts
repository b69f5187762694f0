/**
 * Which auth an OpenAPI document needs (issue 15, item 4), written as our config's `auth`
 * object with `{ secret: NAME }` placeholders. The scheme is the one most GET operations accept
 * (their own `security`, else the document's); among equally common ones the one our config
 * supports best. Pure: no I/O, no Effect.
 */
import type { ApiModel, Operation, SecurityRequirement, SecurityScheme } from "./model.js"

export interface AuthGuess {
  /** Our config's `auth` object with `{ secret: NAME }` placeholders, or undefined (no security, or none we support). */
  readonly auth: Record<string, unknown> | undefined
  /** The secret names used (e.g. GITHUB_TOKEN), for the README stub. */
  readonly secrets: ReadonlyArray<string>
  readonly notes: ReadonlyArray<string>
}

/** `GitHub` → `GITHUB`, `train-travel` → `TRAIN_TRAVEL`: the prefix of the secrets' names. */
export const secretPrefix = (apiName: string): string => {
  const words = apiName.replace(/[^A-Za-z0-9]+/g, " ").trim().toUpperCase().split(/\s+/).filter((w) => w.length > 0)
  const joined = words.join("_")
  if (joined.length === 0) return "API"
  return /^[0-9]/.test(joined) ? `API_${joined}` : joined
}

const secret = (name: string) => ({ secret: name })

/** How well our config takes a scheme: lower is better (the tie-break between equally common schemes). */
const rank = (scheme: SecurityScheme): number => {
  switch (scheme.type) {
    case "http":
      return scheme.scheme.toLowerCase() === "bearer" ? 0 : scheme.scheme.toLowerCase() === "basic" ? 3 : 9
    case "apiKey":
      return scheme.in === "cookie" ? 4 : 1
    case "oauth2":
      return scheme.clientCredentialsTokenUrl !== undefined ? 2 : 5
    default:
      return 9
  }
}

const effective = (operation: Operation, model: ApiModel): ReadonlyArray<SecurityRequirement> =>
  operation.security ?? model.security

interface Choice {
  readonly name: string
  readonly scheme: SecurityScheme
  /** The requirement it came from (its scopes, and the schemes that must go with it). */
  readonly requirement: SecurityRequirement | undefined
  readonly count: number
}

/** The scheme most operations (GET ones, if any) accept; ties go to the best supported one. */
const choose = (model: ApiModel, notes: Array<string>): Choice | undefined => {
  const gets = model.operations.filter((o) => o.method === "get")
  const operations = gets.length > 0 ? gets : model.operations
  const counts = new Map<string, { count: number; requirement: SecurityRequirement }>()
  let anonymous = 0
  for (const operation of operations) {
    const requirements = effective(operation, model)
    if (requirements.some((r) => Object.keys(r).length === 0)) anonymous++
    const seen = new Set<string>()
    for (const requirement of requirements) {
      for (const name of Object.keys(requirement)) {
        if (seen.has(name) || model.securitySchemes[name] === undefined) continue
        seen.add(name)
        const entry = counts.get(name)
        if (entry === undefined) counts.set(name, { count: 1, requirement })
        else entry.count++
      }
    }
  }
  const candidates: Array<Choice> = []
  for (const [name, { count, requirement }] of counts) {
    const scheme = model.securitySchemes[name]
    if (scheme !== undefined) candidates.push({ name, scheme, requirement, count })
  }
  if (candidates.length === 0) {
    const defined = Object.entries(model.securitySchemes)
    const only = defined[0]
    if (defined.length === 1 && only !== undefined) {
      notes.push(`security scheme '${only[0]}' is the only one defined, though no operation requires it`)
      return { name: only[0], scheme: only[1], requirement: undefined, count: 0 }
    }
    if (defined.length > 1) {
      notes.push(`${defined.length} security schemes are defined (${defined.map(([n]) => n).join(", ")}) but no operation requires one: set auth yourself`)
    }
    return undefined
  }
  candidates.sort((a, b) => b.count - a.count || rank(a.scheme) - rank(b.scheme) || a.name.localeCompare(b.name))
  const chosen = candidates[0]
  if (chosen === undefined) return undefined
  if (candidates.length > 1) {
    notes.push(`security scheme '${chosen.name}' (accepted by ${chosen.count} of ${operations.length} ${gets.length > 0 ? "GET " : ""}operations); other schemes accepted: ${candidates.slice(1).map((c) => c.name).join(", ")}`)
  }
  if (anonymous > 0) notes.push(`${anonymous} of ${operations.length} operations also accept no credentials`)
  const others = Object.keys(chosen.requirement ?? {}).filter((n) => n !== chosen.name)
  if (others.length > 0) {
    notes.push(`'${chosen.name}' is required together with ${others.map((n) => `'${n}'`).join(", ")}: add those (e.g. as client.headers with { secret })`)
  }
  return chosen
}

/** A token URL relative to the server (OpenAPI allows it) resolved against the base URL. */
const absoluteUrl = (url: string, baseUrl: string | undefined): string | undefined => {
  try {
    return new URL(url, baseUrl).toString()
  } catch {
    return undefined
  }
}

const guess = (auth: Record<string, unknown> | undefined, secrets: ReadonlyArray<string>, notes: ReadonlyArray<string>): AuthGuess => ({
  auth,
  secrets,
  notes
})

const fromScheme = (choice: Choice, model: ApiModel, prefix: string, notes: ReadonlyArray<string>): AuthGuess => {
  const { name, scheme } = choice
  switch (scheme.type) {
    case "apiKey": {
      const key = `${prefix}_API_KEY`
      const extra = scheme.name.toLowerCase() === "authorization"
        ? [`'${name}': the key is sent as the whole Authorization header: include any prefix the API wants (e.g. "Token ...")`]
        : []
      return guess(
        { type: "api_key", name: scheme.name, api_key: secret(key), location: scheme.in },
        [key],
        [...notes, `api_key from security scheme '${name}' (${scheme.in} '${scheme.name}')`, ...extra]
      )
    }
    case "http": {
      const kind = scheme.scheme.toLowerCase()
      if (kind === "bearer") {
        const token = `${prefix}_TOKEN`
        return guess({ type: "bearer", token: secret(token) }, [token], [...notes, `bearer token from security scheme '${name}'`])
      }
      if (kind === "basic") {
        const user = `${prefix}_USERNAME`
        const password = `${prefix}_PASSWORD`
        return guess(
          { type: "http_basic", username: secret(user), password: secret(password) },
          [user, password],
          [...notes, `http_basic from security scheme '${name}'`]
        )
      }
      return guess(undefined, [], [...notes, `security scheme '${name}' is HTTP '${scheme.scheme}' auth, which our config does not support: set auth yourself`])
    }
    case "oauth2": {
      const tokenUrl = scheme.clientCredentialsTokenUrl === undefined ? undefined : absoluteUrl(scheme.clientCredentialsTokenUrl, model.baseUrl)
      if (tokenUrl !== undefined) {
        const id = `${prefix}_CLIENT_ID`
        const clientSecret = `${prefix}_CLIENT_SECRET`
        const scopes = choice.requirement?.[name] ?? []
        return guess(
          {
            type: "oauth2_client_credentials",
            access_token_url: tokenUrl,
            client_id: secret(id),
            client_secret: secret(clientSecret),
            ...(scopes.length > 0 ? { access_token_request_data: { scope: scopes.join(" ") } } : {})
          },
          [id, clientSecret],
          [...notes, `oauth2_client_credentials from security scheme '${name}' (token URL ${tokenUrl}${scopes.length > 0 ? `, scopes ${scopes.join(" ")}` : ""})`]
        )
      }
      // A token got another way (authorization code, implicit, password) is sent as a bearer token.
      const token = `${prefix}_ACCESS_TOKEN`
      const flows = scheme.flows.length > 0 ? scheme.flows.join(", ") : "no flows"
      return guess({ type: "bearer", token: secret(token) }, [token], [
        ...notes,
        `security scheme '${name}' is OAuth2 without a client credentials flow (${flows}): get an access token yourself and set ${token}; it is sent as a bearer token and not refreshed`
      ])
    }
    default:
      return guess(undefined, [], [
        ...notes,
        `security scheme '${name}' is ${scheme.type}, which our config does not support: set auth yourself (e.g. { type: "bearer", token: { secret: "${prefix}_TOKEN" } } if it yields a bearer token)`
      ])
  }
}

/** The auth of a document: `apiName` names the secrets (`GITHUB` → `GITHUB_TOKEN`). */
export const detectAuth = (model: ApiModel, apiName: string): AuthGuess => {
  const notes: Array<string> = []
  const choice = choose(model, notes)
  if (choice === undefined) {
    if (Object.keys(model.securitySchemes).length === 0) notes.push("the document defines no security: no auth")
    return guess(undefined, [], notes)
  }
  return fromScheme(choice, model, secretPrefix(apiName), notes)
}
