/**
 * Effect Schemas for the analytics API's three resources (the seed connector).
 * Fields the API may send as null are `Schema.NullOr`; the decoded types are what users of
 * `source.records("...")` get, and they decide the tables' column types.
 */
import { Schema } from "effect"

const Timestamp = Schema.DateFromString.annotations({ description: "RFC 3339 timestamp" })

export const AppointmentLink = Schema.Struct({
  id: Schema.String,
  title: Schema.String,
  description: Schema.NullOr(Schema.String),
  url: Schema.String,
  durationMinutes: Schema.Int,
  price: Schema.Number,
  isActive: Schema.Boolean,
  timezone: Schema.NullOr(Schema.String),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  owner: Schema.Struct({ id: Schema.String, name: Schema.String, email: Schema.String }),
  tags: Schema.Array(Schema.String),
  attendees: Schema.Array(Schema.Struct({ name: Schema.String, email: Schema.NullOr(Schema.String) }))
})
export type AppointmentLink = typeof AppointmentLink.Type

export const CodeSnippet = Schema.Struct({
  id: Schema.Int,
  name: Schema.String,
  language: Schema.String,
  code: Schema.String,
  description: Schema.NullOr(Schema.String),
  version: Schema.Int,
  isPublic: Schema.Boolean,
  sizeBytes: Schema.Int,
  score: Schema.Number,
  archivedAt: Schema.NullOr(Timestamp),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  author: Schema.Struct({ id: Schema.Int, username: Schema.String, email: Schema.NullOr(Schema.String) }),
  tags: Schema.Array(Schema.String),
  files: Schema.Array(Schema.Struct({ path: Schema.String, lines: Schema.Int }))
})
export type CodeSnippet = typeof CodeSnippet.Type

export const InsightsReport = Schema.Struct({
  id: Schema.String,
  title: Schema.String,
  status: Schema.Literal("draft", "published", "archived"),
  description: Schema.NullOr(Schema.String),
  /** Calendar dates (YYYY-MM-DD), kept as text. */
  periodStart: Schema.String,
  periodEnd: Schema.String,
  conversionRate: Schema.Number,
  totalViews: Schema.Int,
  isScheduled: Schema.Boolean,
  deletedAt: Schema.NullOr(Timestamp),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  meta: Schema.Struct({
    source: Schema.String,
    schemaVersion: Schema.Int,
    owner: Schema.NullOr(Schema.Struct({ id: Schema.String, name: Schema.String }))
  }),
  tags: Schema.Array(Schema.String),
  metrics: Schema.Array(Schema.Struct({ name: Schema.String, value: Schema.Number }))
})
export type InsightsReport = typeof InsightsReport.Type
