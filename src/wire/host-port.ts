import { isIPv4, isIPv6 } from "node:net";

/** host:port as given; host may be a name that resolves to several addresses. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * DNS's limits on a name (RFC 1035 §2.3.4, RFC 1123 §2.1): what a resolver takes. A longer host
 * can never be dialled, so peers that advertise one are refused rather than remembered.
 */
export const MAX_HOST_NAME_CHARS = 253;
export const MAX_LABEL_CHARS = 63;

// The shape only; what a host name may hold is checked label by label below, to say which rule it breaks.
const HOST_PORT = /^(?:\[([^\]]*)\]|([^\s:[\]/]+)):(\d{1,5})$/;
// Underscores too: Docker's DNS answers names such as snowchain_peer (a stack's service), which RFC 1123 host names may not hold.
const LABEL = /^[A-Za-z0-9_-]+$/;

/** What a host:port must look like, for error messages. */
export function hostPortRule(minPort = 1): string {
  return `must be host:port with a port from ${minPort} to 65535 (IPv6 as [addr]:port)`;
}

/** Shows at most 80 characters of what a remote or the environment sent. */
const quote = (s: string): string => JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);

/** The DNS rule a host name breaks (phrased to follow "must be "), or undefined. */
function hostNameProblem(host: string): string | undefined {
  if (host.length > MAX_HOST_NAME_CHARS) return `host:port with a host name of at most ${MAX_HOST_NAME_CHARS} characters, got ${host.length}`;
  const labels = host.split(".");
  for (const label of labels) {
    if (label.length === 0 || label.length > MAX_LABEL_CHARS) {
      return `host:port with host name labels (between dots) of 1 to ${MAX_LABEL_CHARS} characters, got one of ${label.length} in ${quote(host)}`;
    }
    if (!LABEL.test(label)) return `host:port with a host name of letters, digits, '-', '_' and '.', got ${quote(host)}`;
    if (label.startsWith("-") || label.endsWith("-")) return `host:port with host name labels that do not start or end with '-', got ${quote(label)}`;
  }
  // "256.1.1.1" or "1.2.3" is neither an address nor a name (no top-level domain is a number).
  if (/^\d+$/.test(labels[labels.length - 1]!) && !isIPv4(host)) return `host:port with an IPv4 address of four numbers from 0 to 255, got ${quote(host)}`;
  return undefined;
}

/**
 * "host:port" (IPv6 as "[::1]:port") as a HostPort, or the rule it breaks ("must be …", for an
 * error message that names the variable or field). `minPort` is 0 only where the OS may pick the
 * port (listening). The bracket pattern alone lets "[:]" through: only a real IPv6 address may
 * be bracketed, and a name must keep DNS's limits.
 */
export function parseHostPort(value: string, minPort = 1): HostPort | string {
  const m = HOST_PORT.exec(value.trim());
  if (!m || (m[1] !== undefined && !isIPv6(m[1]))) return hostPortRule(minPort);
  const port = Number(m[3]);
  if (port < minPort || port > 65535) return hostPortRule(minPort);
  const why = m[2] === undefined ? undefined : hostNameProblem(m[2]);
  return why === undefined ? { host: m[1] ?? m[2]!, port } : `must be ${why}`;
}

/** As parseHostPort, undefined when it is not host:port. */
export function tryParseHostPort(value: string, minPort = 1): HostPort | undefined {
  const r = parseHostPort(value, minPort);
  return typeof r === "string" ? undefined : r;
}

/**
 * Why another peer could not dial this address ("must be …"), or undefined when it could. What
 * peers tell each other is checked with it, exactly as sent: no surrounding blanks either.
 */
export function whyNotDialable(address: string): string | undefined {
  if (address !== address.trim()) return hostPortRule(1);
  const r = parseHostPort(address, 1);
  return typeof r === "string" ? r : undefined;
}

/** Whether another peer could dial this address (what peers tell each other is checked with it). */
export function isDialable(address: string): boolean {
  return whyNotDialable(address) === undefined;
}

/** host:port as grpc-js dials it. */
export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(":") ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}
