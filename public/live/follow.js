// The README's live-updates snippet (README.md, "Live updates"): its lines word for word and in order, with the
// page's list loaded where the snippet's comment says. test/browser/live.test.ts fails if the two part, and if
// "clients-api.v1" is no longer LIVE_PROTOCOL (src/live/protocol.ts), which a static file cannot import.
export async function follow(api, token, render, loadList) {
  const get = async (path) => (await fetch(api + path, { headers: { Authorization: `Bearer ${token}` } })).json();
  let last = (await get("/api/clients/changes")).next;     // the position now: load the list after reading it
  await loadList(get);
  const apply = (change) => { if (change.seq === last + 1) { last = change.seq; render(change); } };
  const catchUp = async () => { for (let page; (page = await get(`/api/clients/changes?after=${last}`)).changes.length; ) page.changes.forEach(apply); };
  const socket = new WebSocket(api.replace(/^http/, "ws") + "/api/clients/live", ["clients-api.v1", `bearer.${token}`]);
  socket.onopen = catchUp;                                  // what committed before the socket opened
  socket.onmessage = ({ data }) => { const change = JSON.parse(data); change.seq > last + 1 ? catchUp() : apply(change); };
  return socket;
}
