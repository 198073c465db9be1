/**
 * The legacy files in the exact format the plugin writes (copied from the design's shared/fixtures/legacy/ so
 * the suite runs from any clone): small, shared-ids (a repeated legacy id), version-0, empty, truncated.
 */
import { fileURLToPath } from "node:url"

export const LEGACY_FIXTURES = fileURLToPath(new URL("../fixtures/legacy/", import.meta.url))
