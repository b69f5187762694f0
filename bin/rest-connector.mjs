#!/usr/bin/env node
// The CLI is written in TypeScript; tsx compiles it on load (and lets users point
// `rest-connector run` at a `.ts` config module without a build step).
import { register } from "tsx/esm/api"

register()
await import("../src/cli/main.ts")
