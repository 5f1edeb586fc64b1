// The live updates demo (/live): the caller's clients and their changes as they come, through follow.js, and
// a form to create one. The token comes from the form or the address's fragment (#token=...), never the
// query string, which servers and proxies log.
import { follow } from "./follow.js";

const API = location.origin;
const RECONNECT_MS = 1000;

const $ = (id) => document.getElementById(id);
const setStatus = (text) => ($("status").textContent = text);
const item = (text, id) => Object.assign(document.createElement("li"), { textContent: text, ...(id === undefined ? {} : { id: `client-${id}` }) });

let token = "";
let current; // the socket being followed; an older one's close is ignored

function show(clients, change) {
  const newestFirst = [...clients.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  $("clients").replaceChildren(...newestFirst.map((client) => item(`${client.id}: ${client.name}${client.company ? ` (${client.company})` : ""}`, client.id)));
  if (change) $("changes").prepend(item(`#${change.seq} ${change.op} ${change.client.id}`));
}

async function start() {
  current?.close();
  current = undefined;
  setStatus("connecting");
  try {
    const socket = (current = await follow(API, token, show));
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
