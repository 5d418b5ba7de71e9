import { isIPv6 } from "node:net";

/** host:port as given; host may be a name that resolves to several addresses. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

const HOST_PORT = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9._-]+)):(\d{1,5})$/;

/** What a host:port must look like, for error messages. */
export function hostPortRule(minPort = 1): string {
  return `must be host:port with a port from ${minPort} to 65535 (IPv6 as [addr]:port)`;
}

/**
 * "host:port" (IPv6 as "[::1]:port") as a HostPort, or undefined. `minPort` is 0 only where the
 * OS may pick the port (listening). The bracket pattern alone lets "[:]" through: only a real
 * IPv6 address may be bracketed.
 */
export function tryParseHostPort(value: string, minPort = 1): HostPort | undefined {
  const m = HOST_PORT.exec(value.trim());
  if (!m || (m[1] !== undefined && !isIPv6(m[1]))) return undefined;
  const port = Number(m[3]);
  return port >= minPort && port <= 65535 ? { host: m[1] ?? m[2]!, port } : undefined;
}

/** Whether another peer could dial this address (what peers tell each other is checked with it). */
export function isDialable(address: string): boolean {
  return tryParseHostPort(address, 1) !== undefined;
}

/** host:port as grpc-js dials it. */
export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(":") ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}
