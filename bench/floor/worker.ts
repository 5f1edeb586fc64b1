// The smallest worker that runs the API's statements for the benchmark's scenarios through the Neon
// driver: no framework, no validation, no JWT check (the bearer token is the user id), no logging.
// Our worker's cost is reported as a ratio to this one, both in the same local runtime.
import { neon, neonConfig } from "@neondatabase/serverless";

type Env = { DATABASE_URL: string; NEON_FETCH_ENDPOINT: string };

const COLUMNS = `id, name, email, phone, company, created_at AS "createdAt", updated_at AS "updatedAt"`;
const INSERT = `INSERT INTO clients (user_id, id, name) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`;
const SELECT = `SELECT ${COLUMNS} FROM clients WHERE user_id = $1 AND id = $2`;
const LIST = `SELECT ${COLUMNS} FROM clients WHERE user_id = $1 ORDER BY created_at DESC NULLS LAST, id DESC NULLS LAST LIMIT $2`;
const RENAME = `UPDATE clients SET name = $3, updated_at = now(), version = nextval('client_versions') WHERE user_id = $1 AND id = $2 RETURNING ${COLUMNS}`;
const UNIQUE_VIOLATION = "23505";

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    neonConfig.fetchEndpoint = env.NEON_FETCH_ENDPOINT;
    const sql = neon(env.DATABASE_URL);
    const userId = request.headers.get("authorization")?.slice("Bearer ".length) ?? "";
    if (request.method === "POST") {
      const { id, name } = (await request.json()) as { id: string; name: string };
      try {
        const [client] = await sql.query(INSERT, [userId, id, name]);
        return Response.json({ client }, { status: 201 });
      } catch (error) {
        if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
        const [client] = await sql.query(SELECT, [userId, id]);
        return Response.json({ client }, { status: client ? 200 : 500 });
      }
    }
    const url = new URL(request.url);
    // The list page: `/api/clients?limit=N`, newest first, no cursor.
    if (url.pathname.endsWith("/clients")) {
      const clients = await sql.query(LIST, [userId, Number(url.searchParams.get("limit") ?? 20)]);
      return Response.json({ clients });
    }
    const id = decodeURIComponent(url.pathname.split("/").pop() ?? "");
    const [client] =
      request.method === "PATCH"
        ? await sql.query(RENAME, [userId, id, ((await request.json()) as { name: string }).name])
        : await sql.query(SELECT, [userId, id]);
    return client ? Response.json({ client }) : new Response(null, { status: 404 });
  },
};
