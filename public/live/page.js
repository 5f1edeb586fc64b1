// The live updates demo (/live): the caller's clients and their changes as they come, through follow.js (the
// README's snippet), and a form to create one. The token comes from the form or the address's fragment
// (#token=...), never the query string, which servers and proxies log.
import { follow } from "./follow.js";

const API = location.origin;
const RECONNECT_MS = 1000;

const $ = (id) => document.getElementById(id);
const setStatus = (text) => ($("status").textContent = text);
const item = (text) => Object.assign(document.createElement("li"), { textContent: text });

let token = "";
let current; // the socket being followed; an older one's close is ignored
let clients = new Map();

// An ETag is a quoted number that only grows: a change older than the client held is stale. A delete carries
// the last ETag its client had, the one held.
const version = (client) => Number(client.etag.replaceAll('"', ""));

function showClients() {
  const newestFirst = [...clients.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  $("clients").replaceChildren(...newestFirst.map((client) => item(`${client.id}: ${client.name}${client.company ? ` (${client.company})` : ""}`)));
}

async function loadList(get) {
  const page = await get("/api/clients?limit=100");
  if (!page.clients) throw new Error(page.detail ?? page.title);
  clients = new Map(page.clients.map((client) => [client.id, client]));
  showClients();
}

function render(change) {
  $("changes").prepend(item(`#${change.seq} ${change.op} ${change.client.id}`));
  const held = clients.get(change.client.id);
  if (held && version(change.client) < version(held)) return;
  if (change.op === "deleted") clients.delete(change.client.id);
  else clients.set(change.client.id, change.client);
  showClients();
}

async function start() {
  current?.close();
  current = undefined;
  setStatus("connecting");
  try {
    const socket = (current = await follow(API, token, render, loadList));
    socket.addEventListener("open", () => setStatus("live"));
    socket.addEventListener("close", ({ code, reason }) => {
      if (socket !== current) return;
      // 4000-4999: the server ended it on purpose (the token expired, too many sockets): connecting again is no use.
      if (code >= 4000 && code < 5000) return setStatus(`closed by the server: ${reason}`);
      setStatus("disconnected: connecting again");
      setTimeout(start, RECONNECT_MS);
    });
  } catch (error) {
    setStatus(`could not connect: ${error.message}`);
  }
}

$("connect").addEventListener("submit", (event) => {
  event.preventDefault();
  token = $("token").value.trim();
  void start();
});

$("create").addEventListener("submit", async (event) => {
  event.preventDefault();
  const fields = Object.fromEntries([...new FormData(event.target)].filter(([, value]) => value !== ""));
  const response = await fetch(`${API}/api/clients`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(fields),
  });
  $("created").textContent = `${response.status} ${response.statusText}`;
});

const fromFragment = new URLSearchParams(location.hash.slice(1)).get("token");
if (fromFragment) {
  $("token").value = fromFragment;
  // Out of the address bar and the history: the token is a password while it lasts.
  history.replaceState(null, "", location.pathname);
  $("connect").requestSubmit();
}
