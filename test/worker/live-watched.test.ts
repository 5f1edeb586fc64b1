// A user's writes tell the user's UserFeed only while the user has a live socket open: the mark the feed
// keeps in the counter row, read by the write itself, decides.
import { listDurableObjectIds } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { changeCounters } from "../../src/db/schema";
import { createClient, newUser, testDatabase } from "../support/api";
import { openSocket } from "../support/live";

const feedExists = async (userId: string) => {
  const id = env.USER_FEEDS.idFromName(userId);
  return (await listDurableObjectIds(env.USER_FEEDS)).some((existing) => existing.equals(id));
};

const watched = async (userId: string) =>
  (await testDatabase().select({ watched: changeCounters.watched }).from(changeCounters).where(eq(changeCounters.userId, userId)))[0]?.watched;

describe("the watched mark", () => {
  it("spares a user without open sockets any Durable Object request", async () => {
    const user = await newUser();
    const client = await createClient(user, { name: "Ada" });
    expect((await user.call("PATCH", `/api/clients/${client.id}`, { body: { name: "Grace" } })).status).toBe(200);
    expect((await user.call("DELETE", `/api/clients/${client.id}`)).status).toBe(204);
    expect(await watched(user.id)).toBe(false);
    expect(await feedExists(user.id)).toBe(false);
  });

  it("is set while a socket is open, so writes reach it, and cleared when the last one closes", async () => {
    const user = await newUser();
    const first = await openSocket(user.token);
    const second = await openSocket(user.token);
    expect(await watched(user.id)).toBe(true);
    await createClient(user, { name: "Ada" });
    await expect.poll(() => [first.messages.length, second.messages.length]).toEqual([1, 1]);

    first.socket.close(1000, "done");
    await expect.poll(() => watched(user.id)).toBe(true);
    second.socket.close(1000, "done");
    await expect.poll(() => watched(user.id)).toBe(false);
  });
});
