import { randomUUID } from "node:crypto";

/** A fresh SQL name (table, role, database): real PostgreSQL is shared by parallel test files and by repeated runs. */
export const uniqueName = (prefix: string) => `${prefix}_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
