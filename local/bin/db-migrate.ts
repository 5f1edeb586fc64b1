// `npm run db:migrate`: applies the pending migrations to the PostgreSQL database that $DATABASE_URL names.
import { redactPassword } from "../gateway/connection-string";
import { hasMigrations, migratePostgres, migrationsFolder } from "../gateway/migrations";

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  console.error("db:migrate: set DATABASE_URL to the database to migrate (postgres://...)");
  process.exit(2);
}
if (!hasMigrations(migrationsFolder)) {
  console.log(`db:migrate: no migrations in ${migrationsFolder}`);
} else {
  try {
    await migratePostgres(databaseUrl);
    console.log(`db:migrate: ${redactPassword(databaseUrl)} is up to date`);
  } catch (err) {
    console.error(`db:migrate failed: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
