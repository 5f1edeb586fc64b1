// The CPU measure's five requests, the same for our worker and the floor worker. Each has the rows it
// needs written first (`setup`, against the real database) and the status every one of its requests
// must get. `i` numbers the requests, so that creates carry ids never sent before.

/** Our worker's per-user limits in the benchmark: out of reach, though every request is still counted. */
export const BENCH_RATE_LIMIT = 1_000_000_000;

export type RequestSpec = { method: string; path: string; body?: Record<string, string> };

export type Workload = {
  title: string;
  status: number;
  setup(prefix: string): RequestSpec[];
  request(prefix: string, i: number): RequestSpec;
};

/** A list page is this long; one client more is written, so that a next page follows. */
const PAGE = 20;

const existing = (prefix: string) => `${prefix}existing`;
const create = (id: string): RequestSpec => ({ method: "POST", path: "/api/clients", body: { id, name: `Client ${id}` } });

export const WORKLOADS = {
  read: {
    title: "read one client",
    status: 200,
    setup: (prefix) => [create(existing(prefix))],
    request: (prefix) => ({ method: "GET", path: `/api/clients/${existing(prefix)}` }),
  },
  create: {
    title: "create a new client",
    status: 201,
    setup: () => [],
    request: (prefix, i) => create(`${prefix}new-${i}`),
  },
  createExisting: {
    title: "create an existing id",
    status: 200,
    setup: () => [],
    request: (prefix) => create(existing(prefix)),
  },
  list: {
    title: `list page of ${PAGE}`,
    status: 200,
    setup: (prefix) => Array.from({ length: PAGE }, (_, i) => create(`${prefix}listed-${i}`)),
    request: () => ({ method: "GET", path: `/api/clients?limit=${PAGE}` }),
  },
  patch: {
    title: "PATCH a name",
    status: 200,
    setup: () => [],
    request: (prefix, i) => ({ method: "PATCH", path: `/api/clients/${existing(prefix)}`, body: { name: `Renamed ${i}` } }),
  },
} satisfies Record<string, Workload>;

export type WorkloadName = keyof typeof WORKLOADS;
