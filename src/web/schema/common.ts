import { Type, type TSchema } from 'typebox';

/**
 * Pieces for describing what a staff JSON route answers (the OpenAPI document's responses, src/ops/openapi.ts).
 * They document and are checked by test/openapi.test.ts against real answers; Fastify does not serialise
 * replies through them.
 */
export const Timestamp = () => Type.String({ format: 'date-time' });
export const NullableTimestamp = () => Type.Unsafe<string | null>({ type: ['string', 'null'], format: 'date-time' });
export const NullableString = () => Type.Unsafe<string | null>({ type: ['string', 'null'] });
export const Bilingual = () => Type.Object({ ja: Type.String(), en: Type.String() });

/** An object whose listed fields are checked; it may carry more (the API grows by adding fields). */
export const Open = <P extends Record<string, TSchema>>(properties: P, description?: string) =>
  Type.Object(properties, { additionalProperties: true, ...(description ? { description } : {}) });

/** What a change answers a JSON client: `{ok: true, ...}`. */
export const Ok = <P extends Record<string, TSchema>>(properties: P) => Open({ ok: Type.Literal(true), ...properties });

/** A path parameter that is an id (the service says 404 for one that names nothing). */
export const IdParams = (...names: string[]) => Type.Object(Object.fromEntries(names.map((n) => [n, Type.String({ minLength: 1, maxLength: 1000 })])));

/**
 * A form's body whose fields are all optional (the service checks them and names the field it refuses): also
 * none at all (`null`), as a POST without a body was accepted before there was a schema.
 */
export const OptionalBody = <P extends Record<string, TSchema>>(properties: P, options: { additionalProperties?: boolean; description?: string } = {}) =>
  Type.Unsafe<Record<string, unknown> | null>({ ...Type.Object(properties, options), type: ['object', 'null'] });
