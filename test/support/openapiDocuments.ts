/**
 * Public OpenAPI documents that nobody here wrote, as npm packages ship them: GitHub's
 * (`@octokit/openapi`) and ReadMe's collection (`@readme/oas-examples`: the Train Travel API,
 * the USPTO data set API, the Star Trek API, ReadMe's own, the Swagger Petstores).
 */
import { createRequire } from "node:module"
import * as path from "node:path"

const require = createRequire(import.meta.url)
const packageDir = (name: string): string => path.dirname(require.resolve(`${name}/package.json`))

export interface PublicDocument {
  /** The connector's name (`--name`). */
  readonly name: string
  readonly file: string
  /** `--include` globs: GitHub's 1 223 operations are more than a test needs. */
  readonly include: ReadonlyArray<string>
}

const examples = (version: string, file: string) => path.join(packageDir("@readme/oas-examples"), version, "json", file)

export const publicDocuments: ReadonlyArray<PublicDocument> = [
  {
    name: "github",
    file: path.join(packageDir("@octokit/openapi"), "generated", "api.github.com.json"),
    include: ["gists", "gist_*", "users", "users_repos", "users_followers", "licenses", "codes_of_conduct", "/repos/{owner}/{repo}/issues", "/orgs/{org}/repos"]
  },
  { name: "train_travel", file: examples("3.1", "train-travel.json"), include: [] },
  { name: "uspto", file: examples("3.0", "uspto.json"), include: [] },
  { name: "star_trek", file: examples("3.0", "star-trek.json"), include: [] },
  { name: "readme", file: examples("3.1", "readme.json"), include: [] },
  { name: "petstore_v2", file: examples("2.0", "petstore.json"), include: [] },
  { name: "petstore_expanded", file: examples("3.0", "petstore-expanded.json"), include: [] },
  { name: "petstore_v31", file: examples("3.1", "petstore.json"), include: [] }
]
