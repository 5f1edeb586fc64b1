// The worker: the API (./app.ts) and the Durable Object class that holds each user's live sockets.
export { UserFeed } from "./live/user-feed";
export { default } from "./app";
