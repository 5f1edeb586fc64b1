// The caller's clients, kept current by the live socket, with the gaps (changes before the socket opened, a
// message missed) filled from the change log. The function's body is the README's snippet, word for word:
// change them together. "clients-api.v1" is LIVE_PROTOCOL (src/live/protocol.ts), which a static file cannot
// import: test/browser/live.test.ts fails if the two part.
export async function follow(API, token, show) {
  const get = (path) => fetch(API + path, { headers: { Authorization: `Bearer ${token}` } }).then((r) => (r.ok ? r.json() : Promise.reject(new Error(`${r.status} on ${path}`))));
  let last = (await get("/api/clients/changes")).next; // the position before the list: the changes after it are applied to it
  const clients = new Map((await get("/api/clients?limit=100")).clients.map((client) => [client.id, client]));
  const apply = (change) => { last = change.seq; if (change.op === "deleted") clients.delete(change.client.id); else clients.set(change.client.id, change.client); show(clients, change); };
  const catchUp = async () => { for (let page; (page = await get(`/api/clients/changes?after=${last}`)).changes.length > 0; ) page.changes.forEach(apply); };
  const socket = new WebSocket(API.replace(/^http/, "ws") + "/api/clients/live", ["clients-api.v1", `bearer.${token}`]);
  let inOrder = Promise.resolve(show(clients)); // the changes one at a time, in seq order; a failure closes the socket
  const inTurn = (step) => (inOrder = inOrder.then(step).catch(() => socket.close()));
  socket.onopen = () => inTurn(catchUp); // what committed before the socket opened
  socket.onmessage = ({ data }) => inTurn(() => { const change = JSON.parse(data); return change.seq === last + 1 ? apply(change) : change.seq > last && catchUp(); });
  return socket;
}
