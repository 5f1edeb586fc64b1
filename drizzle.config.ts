import { defineConfig } from "drizzle-kit";

// `drizzle-kit generate` reads only the schema. `npm run db:studio` opens the local database: the PostgreSQL of
// $DATABASE_URL when it is set, else the embedded PGlite folder that `npm run dev` keeps.
const databaseUrl = process.env.DATABASE_URL;

export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema.ts",
  out: "./migrations",
  ...(databaseUrl
    ? { dbCredentials: { url: databaseUrl } }
    : { driver: "pglite" as const, dbCredentials: { url: "./.data/pglite" } }),
});
