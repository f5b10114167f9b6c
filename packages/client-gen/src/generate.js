/**
 * Turns the API's OpenAPI 3.1 document into the TypeScript source of @runledger/client's types
 * with openapi-typescript (which needs the TypeScript 5 JS API: this workspace's own
 * `typescript` dependency, never the repo's TypeScript 7).
 */
import openapiTS, { astToString } from 'openapi-typescript';

const BANNER = `/**
 * Generated from the runledger API's OpenAPI document (GET /openapi.json) by
 * packages/client/scripts/generate.ts (openapi-typescript). Do not edit: run
 * \`npm run generate -w @runledger/client\`; test/client-generated.test.ts fails when stale.
 */
`;

/**
 * Generates the `paths`, `components` and `operations` types of `document` (an OpenAPI 3.1
 * object). Request fields with defaults stay optional (`defaultNonNullable: false`).
 * @param {Record<string, unknown>} document
 * @returns {Promise<string>} the TypeScript source, banner included.
 */
export async function generateTypes(document) {
  const ast = await openapiTS(/** @type {never} */ (document), {
    defaultNonNullable: false,
    alphabetize: false,
    exportType: false,
  });
  return `${BANNER}${astToString(ast)}`;
}
