import type { Ajv, ErrorObject } from 'ajv';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isKinkyuError, KinkyuError } from '../../domain/errors.ts';
import { checkText, TEXT_KEYWORD, type TextRule } from './text.ts';

/**
 * Fastify validates route schemas with ajv; these are its options. No type coercion: a form sends text and a
 * JSON client that sends `["x"]` or `42` where text belongs is refused as today, not silently turned into "x"
 * or "42". `verbose` gives an error its schema, so a refusal can name the field the way users know it.
 * `allowUnionTypes`: a form field a browser sends as text and a JSON client as a number or boolean (the drill's
 * counts and checkboxes) is declared as such a union; without it ajv warns on every start.
 */
export const AJV_OPTIONS = { customOptions: { coerceTypes: false, verbose: true, allowUnionTypes: true }, plugins: [textKeyword] };

function textKeyword(ajv: Ajv): Ajv {
  const validate = (rule: TextRule, data: unknown, _parent: unknown, cxt?: { parentDataProperty?: string | number }): boolean => {
    const field = rule.field ?? String(cxt?.parentDataProperty ?? '');
    try {
      checkText(data, field, rule);
      return true;
    } catch (err) {
      if (!isKinkyuError(err)) throw err;
      validate.errors = [{ keyword: TEXT_KEYWORD, message: err.message, params: { refusal: err.params } }];
      return false;
    }
  };
  validate.errors = [] as Partial<ErrorObject>[];
  return ajv.addKeyword({ keyword: TEXT_KEYWORD, schemaType: 'object', errors: true, validate });
}

type SchemaNode = { properties?: Record<string, SchemaNode>; [TEXT_KEYWORD]?: TextRule; type?: unknown; [k: string]: unknown };

/** The name users know a property by: the text rule's `field`, else the property itself. */
function fieldName(objectSchema: unknown, property: string): string {
  return (objectSchema as SchemaNode | undefined)?.properties?.[property]?.[TEXT_KEYWORD]?.field ?? property;
}

/** The top-level property an error is about ("/components/0" → "components"). */
const topProperty = (instancePath: string) => decodeURIComponent(instancePath.split('/')[1] ?? '').replace(/~1/g, '/').replace(/~0/g, '~');

/**
 * Fastify's validation error, as the error catalogue's refusal: the same code and parameters the hand-written
 * checks gave, so users read the same ja/en message. Text fields carry the refusal `checkText` made; for the
 * rest, a missing property is "please fill in", a wrong type "must be text" or "has the wrong shape", a value
 * outside a list "not allowed". A path parameter that does not fit names no page.
 */
export function refusalFor(err: { validation?: ErrorObject[]; validationContext?: string }): KinkyuError {
  if (err.validationContext === 'params') return new KinkyuError('NOT_FOUND');
  const first = err.validation?.[0];
  if (!first) return new KinkyuError('VALIDATION');
  if (first.keyword === TEXT_KEYWORD) return new KinkyuError('VALIDATION', (first.params as { refusal: Record<string, string> }).refusal);
  // A body that is not an object (null, [1], "text", or none) has no fields: the hand-written checks read it as
  // {} and asked for the first field they need; so does this.
  if (first.instancePath === '' && first.keyword !== 'required') {
    const needed = ((first.parentSchema ?? first.schema) as { required?: string[] } | undefined)?.required?.[0];
    const schema = first.parentSchema ?? (typeof first.schema === 'object' ? first.schema : undefined);
    return needed ? new KinkyuError('VALIDATION', { field: fieldName(schema, needed), rule: 'required' }) : new KinkyuError('VALIDATION');
  }
  if (first.keyword === 'required') {
    const missing = String((first.params as { missingProperty?: string }).missingProperty ?? '');
    return first.instancePath === '' ? new KinkyuError('VALIDATION', { field: fieldName(first.parentSchema, missing), rule: 'required' }) : new KinkyuError('VALIDATION', { field: topProperty(first.instancePath), rule: 'object' });
  }
  const property = topProperty(first.instancePath);
  const nested = first.instancePath.split('/').length > 2;
  if (first.keyword === 'type' && !nested) {
    const rule = (first.parentSchema as SchemaNode | undefined)?.[TEXT_KEYWORD];
    const textual = rule !== undefined || first.schema === 'string';
    return new KinkyuError('VALIDATION', { field: rule?.field ?? property, rule: textual ? 'text' : 'object' });
  }
  if (['enum', 'const', 'anyOf', 'oneOf'].includes(first.keyword) && !nested) return new KinkyuError('VALIDATION', { field: property, rule: 'enum' });
  if ((first.keyword === 'pattern' || first.keyword === 'format') && !nested) return new KinkyuError('VALIDATION', { field: property, rule: 'format' });
  return new KinkyuError('VALIDATION', { field: property, rule: 'object' });
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The handler turns a refused body into its own answer (a form shown again with the message, through
     * `formAction` or `refuseInvalid`) instead of the common error page.
     */
    refusesInHandler?: boolean;
  }
}

/** Throws the refusal for a body, query or path the route's schema did not accept. */
export function refuseInvalid(request: FastifyRequest): void {
  const err = request.validationError as (Error & { validation?: ErrorObject[]; validationContext?: string }) | undefined;
  if (err) throw refusalFor(err);
}

const refuseUnlessHandled = async (request: FastifyRequest): Promise<void> => {
  if (!request.routeOptions.config?.refusesInHandler) refuseInvalid(request);
};

/**
 * Schema validation runs before any preHandler, so its refusal is held (`attachValidation`) until the staff
 * checks (session, CSRF, permission) have run — a client that is not signed in learns nothing about the body —
 * and is then thrown by a route-level preHandler (those run after the application's, the auth hook among them),
 * unless the route answers it itself. Register before any route.
 */
export function registerSchemaRefusals(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    if (!route.schema || !(route.schema.body || route.schema.querystring || route.schema.params)) return;
    route.attachValidation = true;
    const own = route.preHandler === undefined ? [] : [route.preHandler].flat();
    route.preHandler = [...own, refuseUnlessHandled];
  });
}
