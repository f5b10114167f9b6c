/**
 * Generates the TypeScript types (`paths`, `components`, `operations`) of an OpenAPI 3.1
 * document with openapi-typescript; request fields with defaults stay optional.
 * @returns the TypeScript source, banner included.
 */
export function generateTypes(document: Record<string, unknown>): Promise<string>;
