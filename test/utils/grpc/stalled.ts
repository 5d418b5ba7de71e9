import * as http2 from "node:http2";
import { waitFor } from "../wait";

/**
 * A gRPC caller that never reads, by hand over node:http2: its streams open with a receive window
 * of one byte and stay paused, so a server's answers pile up on the server's side of the
 * connection — what a slow, stuck or hostile client does. grpc-js's own client always reads, so a
 * test of what a server buffers for such a caller needs this. `readAll()` later grants a window
 * and reads what the server kept and the status it ended with.
 */
export class StalledClient {
  private readonly session: http2.ClientHttp2Session;

  constructor(addr: string) {
    this.session = http2.connect(`http://${addr}`, { settings: { initialWindowSize: 1 } });
    this.session.on("error", () => {}); // a server that resets the connection: the test's asserts tell
  }

  /** Opens a call of `path` (/package.Service/Method) with `metadata` headers and sends `messages` (serialized), not ending it unless `end`. */
  open(path: string, metadata: Record<string, string | Buffer>, messages: readonly Buffer[], end = false): StalledCall {
    const headers: http2.OutgoingHttpHeaders = {
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
    };
    // Binary metadata (-bin) travels base64 encoded, as gRPC over HTTP/2 says.
    for (const [k, v] of Object.entries(metadata)) headers[k] = Buffer.isBuffer(v) ? v.toString("base64") : v;
    const stream = this.session.request(headers, { endStream: false });
    stream.pause();
    const call = new StalledCall(stream);
    call.send(messages);
    if (end) stream.end();
    return call;
  }

  /** Lets every stream of this connection receive (a 1 MiB window): what a stalled caller does once it reads again. */
  unstall(): void {
    this.session.settings({ initialWindowSize: 1 << 20 });
    this.session.setLocalWindowSize(64 << 20);
  }

  close(): void {
    this.session.destroy();
  }
}

/** One call of a StalledClient. */
export class StalledCall {
  /** Set once the server sent its response headers (or a trailers-only status). */
  headers: http2.IncomingHttpHeaders | undefined;
  private trailers: http2.IncomingHttpHeaders | undefined;
  private readonly chunks: Buffer[] = [];
  private closed = false;

  constructor(readonly stream: http2.ClientHttp2Stream) {
    stream.on("response", (h) => (this.headers = h));
    stream.on("trailers", (t) => (this.trailers = t));
    stream.on("data", (c: Buffer) => this.chunks.push(c));
    // The server's end of the call (its status), whether or not this side ended its own.
    stream.on("end", () => (this.closed = true));
    stream.on("close", () => (this.closed = true));
    stream.on("error", () => {});
  }

  /** Set once every message sent so far went out (the server's window let it through). */
  sent = true;

  /** Sends more messages on the call. */
  send(messages: readonly Buffer[]): void {
    if (messages.length === 0) return;
    this.sent = false;
    const last = messages.length - 1;
    messages.forEach((m, i) => this.stream.write(frame(m), i === last ? () => (this.sent = true) : undefined));
  }

  /** Reads to the end of the call (after `StalledClient.unstall`): every message and the gRPC status. */
  async readAll(timeoutMs = 20_000): Promise<{ messages: Buffer[]; code: number | undefined; details: string }> {
    this.stream.resume();
    await waitFor("the stalled call to end", () => (this.closed ? true : undefined), timeoutMs);
    const status = this.trailers?.["grpc-status"] ?? this.headers?.["grpc-status"];
    const details = this.trailers?.["grpc-message"] ?? this.headers?.["grpc-message"] ?? "";
    return {
      messages: unframe(Buffer.concat(this.chunks)),
      code: status === undefined ? undefined : Number(status),
      details: decodeURIComponent(String(details)),
    };
  }
}

/** A gRPC length-prefixed message: no compression, 4-byte big-endian length. */
export function frame(message: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

function unframe(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at + 5 <= data.length; ) {
    const len = data.readUInt32BE(at + 1);
    out.push(data.subarray(at + 5, at + 5 + len));
    at += 5 + len;
  }
  return out;
}
