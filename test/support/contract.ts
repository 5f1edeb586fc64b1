// Checks one response of the worker against the OpenAPI document: its status is documented for the
// operation, its required headers are there, its content type is documented and its body validates
// against the schema (whose objects allow no extra field). @cfworker/json-schema validates without
// generating code, which workerd does not allow.
import { Validator, type Schema } from "@cfworker/json-schema";
import document from "../../public/openapi.json";

type Json = Record<string, unknown>;
type Header = { required?: boolean };
type MediaType = { schema: Json };
type ResponseObject = { headers?: Record<string, Header>; content?: Record<string, MediaType> };
type Operation = { responses: Record<string, ResponseObject> };

/**
 * Follows `#/…` references, deeply: the validators get self-contained schemas. Drops `format`, an
 * annotation in JSON Schema 2020-12: zod writes the pattern it enforces next to it, and that is what the
 * API promises (its email check is not the validator's: e.g. it allows a local part over 64 characters).
 */
function inline(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(inline);
  if (node === null || typeof node !== "object") return node;
  const { $ref, format: _annotation, ...rest } = node as Json;
  if (typeof $ref === "string") {
    const target = $ref
      .slice(2)
      .split("/")
      .reduce<unknown>((parent, key) => (parent as Json)[key.replaceAll("~1", "/").replaceAll("~0", "~")], document);
    return inline(target);
  }
  return Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, inline(value)]));
}

const METHODS = ["get", "post", "patch", "put", "delete"] as const;

const operations = Object.entries(document.paths).flatMap(([template, item]) => {
  // A resource's root route is mounted at "/" (app.route), so Hono answers it with a trailing slash too.
  const rootSlash = template.includes("{") ? "" : "/?";
  const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}${rootSlash}$`);
  return METHODS.filter((method) => method in item).map((method) => ({
    method: method.toUpperCase(),
    pattern,
    name: `${method.toUpperCase()} ${template}`,
    operation: inline((item as Record<string, unknown>)[method]) as Operation,
  }));
});

// Every operation answers a status's problems with that status's one schema and headers: any will do.
const problem = (status: number) => operations.find(({ operation }) => operation.responses[status])!.operation.responses[status]!;

// Requests that match no operation: the worker answers 404, and under /api authentication and the rate
// limit run first, so a bad token (401), a used-up limit (429) or an unreachable identity provider (503)
// comes before routing.
// Outside /api no rate limit counts the request, so no RateLimit-Policy names one.
const { "RateLimit-Policy": _unlimited, ...headersOutsideApi } = problem(404).headers ?? {};
const OUTSIDE_THE_DOCUMENT: Operation = { responses: { 404: { ...problem(404), headers: headersOutsideApi } } };
const OUTSIDE_UNDER_API: Operation = {
  responses: { 401: problem(401), 404: problem(404), 429: problem(429), 503: problem(503) },
};

// `/` is no operation of the API: it sends a browser to the docs page.
const ROOT_REDIRECT: Operation = { responses: { 302: { headers: { Location: { required: true } } } } };

const validators = new Map<unknown, Validator>();
function validatorFor(schema: Json): Validator {
  let validator = validators.get(schema);
  if (!validator) {
    validator = new Validator(schema as Schema, "2020-12", false);
    validators.set(schema, validator);
  }
  return validator;
}

export type Exchange = { method: string; url: string; status: number; headers: Headers; body: string };

/** What in `exchange` the document does not allow; empty when it conforms. */
export function contractViolations({ method, url, status, headers, body }: Exchange): string[] {
  const { pathname } = new URL(url);
  // CORS preflights are answered by the CORS middleware before any route, with no body.
  if (method === "OPTIONS") return status === 204 && body === "" ? [] : [`a preflight answered ${status}`];
  // HEAD runs the GET route and drops the body.
  const routed = method === "HEAD" ? "GET" : method;
  const match = operations.find((candidate) => candidate.method === routed && candidate.pattern.test(pathname));
  const underApi = pathname === "/api" || pathname.startsWith("/api/");
  const outside = pathname === "/" && routed === "GET" ? ROOT_REDIRECT : underApi ? OUTSIDE_UNDER_API : OUTSIDE_THE_DOCUMENT;
  const operation = match?.operation ?? outside;
  const name = match?.name ?? "a request outside the document";

  const documented = operation.responses[String(status)];
  if (!documented) return [`${name} answered ${status}, which the document does not list`];

  const violations = Object.entries(documented.headers ?? {})
    .filter(([header, { required }]) => required && !headers.has(header))
    .map(([header]) => `${name} ${status} lacks the ${header} header`);

  const content = documented.content;
  if (!content || method === "HEAD") {
    if (body !== "") violations.push(`${name} ${status} has a body, where the document lists none`);
    return violations;
  }
  const mediaType = headers.get("Content-Type")?.split(";")[0]?.trim().toLowerCase() ?? "";
  const media = content[mediaType];
  if (!media) return [...violations, `${name} ${status} is ${mediaType || "untyped"}, not ${Object.keys(content).join(" or ")}`];
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [...violations, `${name} ${status} is not JSON: ${body.slice(0, 200)}`];
  }
  const result = validatorFor(media.schema).validate(parsed);
  const errors = result.errors.map((error) => `${error.instanceLocation}: ${error.error}`);
  return result.valid ? violations : [...violations, `${name} ${status} body does not match its schema: ${errors.join("; ")}`];
}
