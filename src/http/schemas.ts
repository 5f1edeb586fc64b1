import * as z from "zod";
import { decodeCursor } from "./cursor";

export const clientId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -");

// PostgreSQL text cannot hold NUL, and a lone surrogate has no UTF-8 form: refuse both here, as input
// errors, rather than let the database fail on them.
const storable = (text: z.ZodString) =>
  text.refine((value) => !value.includes("\0") && !/\p{Cs}/u.test(value), "must not contain NUL or unpaired surrogates");

const clientFields = {
  name: storable(z.string().trim().min(1, "must not be blank").max(200)),
  email: z.email().max(254).nullish(),
  phone: storable(z.string().max(40)).nullish(),
  company: storable(z.string().max(200)).nullish(),
};

export const createClientBody = z.strictObject({ id: clientId.optional(), ...clientFields });

export const updateClientBody = z
  .strictObject(clientFields)
  .partial()
  .refine((changes) => Object.keys(changes).length > 0, {
    message: "must change at least one field",
    // Only for otherwise valid bodies: an unknown key must not also read as "no field".
    when: ({ issues }) => issues.length === 0,
  });

export const clientParams = z.object({ id: clientId });

// A cursor holds the [createdAt, id] of the last client of the page before.
const cursorPosition = z.tuple([z.iso.datetime(), clientId]);

export const listClientsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z
    .string()
    .transform((value, ctx) => {
      const position = cursorPosition.safeParse(decodeCursor(value));
      if (position.success) return { createdAt: new Date(position.data[0]), id: position.data[1] };
      ctx.addIssue({ code: "custom", message: "is not a cursor returned by this API" });
      return z.NEVER;
    })
    .optional(),
});
