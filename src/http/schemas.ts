import en from "zod/v4/locales/en.js";
import * as z from "zod/mini";

// zod/mini sets no locale (every message would read "Invalid input"), and callers read zod's English
// messages in each field error's `detail`. Imported by path: `z.locales.en` would bundle every locale.
z.config(en());

export const clientId = z
  .string()
  .check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -"));

// PostgreSQL text cannot hold NUL, and a lone surrogate has no UTF-8 form: refuse both here, as input
// errors, rather than let the database fail on them.
const storable = (text: z.ZodMiniString<string>) =>
  text.check(z.refine((value) => !value.includes("\0") && !/\p{Cs}/u.test(value), "must not contain NUL or unpaired surrogates"));

/** The longest value of each client field, in characters; requests and responses share them. */
export const MAX_LENGTH = { name: 200, email: 254, phone: 40, company: 200 } as const;

// Blank is having no visible character: whitespace, control and format characters and the code points
// Unicode says to show nothing for (U+200B, U+2060, U+3164, ...) do not make a name, even after trim().
const VISIBLE = /[^\p{White_Space}\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]/u;

const clientFields = {
  name: storable(
    z.string().check(
      z.trim(),
      z.minLength(1, "must not be blank"),
      z.refine((value) => VISIBLE.test(value), { message: "must not be blank", when: ({ issues }) => issues.length === 0 }),
      z.maxLength(MAX_LENGTH.name),
    ),
  ),
  email: z.nullish(z.email().check(z.maxLength(MAX_LENGTH.email))),
  phone: z.nullish(storable(z.string().check(z.maxLength(MAX_LENGTH.phone)))),
  company: z.nullish(storable(z.string().check(z.maxLength(MAX_LENGTH.company)))),
};

export const createClientBody = z.strictObject({ id: z.optional(clientId), ...clientFields });

export const updateClientBody = z.partial(z.strictObject(clientFields)).check(
  z.refine((changes) => Object.keys(changes).length > 0, {
    message: "must change at least one field",
    // Only for otherwise valid bodies: an unknown key must not also read as "no field".
    when: ({ issues }) => issues.length === 0,
  }),
);

export const clientParams = z.object({ id: clientId });

// The cursor is checked against its user by the route (see cursor.ts).
// `limit` is a whole number written in decimal digits as sent: Number() would also read "0x10", "1e1",
// "+5", "5.0" and " 7 ", each a second spelling of a number. The pattern is the whole of the 1..100 rule.
export const listClientsQuery = z.strictObject({
  limit: z.pipe(
    z._default(z.string().check(z.regex(/^(?:[1-9][0-9]?|100)$/, "must be a whole number from 1 to 100, in decimal digits")), "50"),
    z.transform(Number),
  ),
  cursor: z.optional(z.string()),
});
