/**
 * `usage-hub/server`: the central ingestion service. `createApp` builds the fastify app over a store (for
 * embedding and tests), `startServer` opens a store and listens, `runService` is `usage serve`.
 */
export { type AppOptions, createApp, type UsageHubApp } from "./app.js"
export { parseTokenOption, type TokenSource, tokenMatches } from "./auth.js"
export { GroupCommitter } from "./group-commit.js"
export { DEFAULT_BODY_LIMIT, DEFAULT_MAX_RECORDS } from "./ingest-body.js"
export { openApiDocument } from "./openapi.js"
export { runService, type ServeIo, type ServeResult } from "./run.js"
export { isLoopback, resolveServeSettings, type ServeFlags } from "./settings.js"
export { DEFAULT_HOST, DEFAULT_PORT, type RunningServer, type StartOptions, startServer } from "./start.js"
