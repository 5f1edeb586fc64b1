// The worker as the benchmark sees it: plain HTTP, as a client application would call it.
import type { Status } from "./load";
import type { Answer, ClientSeen, Target } from "./scenarios";

type ClientBody = { client?: ClientSeen };

export class WorkerTarget implements Target {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly timeoutMs: number,
  ) {}

  create(input: { id: string; name: string }): Promise<Answer> {
    return this.send("POST", "/api/clients", JSON.stringify(input));
  }

  read(id: string): Promise<Answer> {
    return this.send("GET", `/api/clients/${encodeURIComponent(id)}`);
  }

  /** One page of the caller's clients, newest first. */
  async list(limit: number, cursor?: string): Promise<{ status: Status; clients: ClientSeen[]; nextCursor: string | null }> {
    const query = `?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const response = await fetch(new URL(`/api/clients${query}`, this.baseUrl), {
      headers: { authorization: `Bearer ${this.token}` },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (response.status !== 200) {
      await response.arrayBuffer();
      return { status: response.status, clients: [], nextCursor: null };
    }
    const page = (await response.json()) as { clients: ClientSeen[]; nextCursor: string | null };
    return { status: 200, ...page };
  }

  /** Pages through the caller's clients; used to count rows when the database is out of reach. */
  async listIds(): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.list(100, cursor);
      if (page.status !== 200) throw new Error(`listing clients answered ${page.status}`);
      ids.push(...page.clients.map((client) => client.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return ids;
  }

  /** A create without an id, under an Idempotency-Key. */
  createWithKey(name: string, key: string): Promise<Answer> {
    return this.send("POST", "/api/clients", JSON.stringify({ name }), { "idempotency-key": key });
  }

  /** A PATCH; with `etag`, it applies only over the version that tag names. */
  patch(id: string, changes: Record<string, unknown>, etag?: string): Promise<Answer> {
    return this.send("PATCH", `/api/clients/${encodeURIComponent(id)}`, JSON.stringify(changes), etag ? { "if-match": etag } : {});
  }

  delete(id: string): Promise<Answer> {
    return this.send("DELETE", `/api/clients/${encodeURIComponent(id)}`);
  }

  private async send(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
    const response = await fetch(new URL(path, this.baseUrl), {
      method,
      body,
      headers: { authorization: `Bearer ${this.token}`, ...(body ? { "content-type": "application/json" } : {}), ...headers },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    // Read every body, success or not, so the connection goes back to the keep-alive pool.
    const text = await response.text();
    const client = response.ok && text ? (JSON.parse(text) as ClientBody).client : undefined;
    return { status: response.status, client };
  }
}
