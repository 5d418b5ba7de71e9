import type { Writable } from "node:stream";

/**
 * What a server stream has written and the network has not taken yet, in messages and in bytes
 * (as `size.ts` measures them). grpc-js streams are in object mode: `writableLength` counts
 * messages whatever their size, and `write()` says false only past 16 of them, so a bound in
 * bytes has to be kept here, from the write callbacks (each fires once its message went out).
 */
export class WriteBacklog {
  private messageCount = 0;
  private byteCount = 0;

  get messages(): number {
    return this.messageCount;
  }

  get bytes(): number {
    return this.byteCount;
  }

  /** Writes `message` of `bytes` to `stream`; `onSent` once it went out. Returns what `write()` returned. */
  write(stream: Writable, message: unknown, bytes: number, onSent?: () => void): boolean {
    this.messageCount++;
    this.byteCount += bytes;
    return stream.write(message, () => {
      this.messageCount--;
      this.byteCount -= bytes;
      onSent?.();
    });
  }
}
