// Names of this machine: localhost and its subdomains, 127.0.0.0/8, and [::1] bracketed as URLs and Host headers
// write it. Imports nothing: vitest.config.ts loads it (through database-guard.ts) as it is.
const LOOPBACK_NAME = /^(?:localhost|(?:[a-z0-9-]+\.)+localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

export const isLoopbackName = (name: string): boolean => LOOPBACK_NAME.test(name);
