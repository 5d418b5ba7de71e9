import type { ChannelOptions } from "@grpc/grpc-js";

/**
 * Message size limit on both ends: a query carries up to a few blocks of at most MAX_BLOCK_BYTES
 * (3 MiB at the most), so the default 4 MiB is too small; sync pages are bounded below this too.
 */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** Largest MAX_BLOCK_BYTES (and so MAX_ENTRY_BYTES): a query carries a few blocks in one message. */
export const MAX_BLOCK_BYTES_LIMIT = 3 * 1024 * 1024;

export const CHANNEL_OPTIONS: ChannelOptions = {
  "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
  "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
  // Notice a dead peer behind an idle connection (a killed container does not always reset it).
  "grpc.keepalive_time_ms": 10_000,
  "grpc.keepalive_timeout_ms": 5_000,
  "grpc.keepalive_permit_without_calls": 1,
  // Reconnect quickly after a peer comes back: the default backoff grows to two minutes.
  "grpc.initial_reconnect_backoff_ms": 200,
  "grpc.max_reconnect_backoff_ms": 2_000,
};

/**
 * Channel options for short-lived tools and test harnesses (the CLI, the lab, benchmarks): they
 * take any message a peer may send (grpc-js's default 4 MiB is less than a page of big blocks, or
 * one block with many entries), and a peer that was just (re)started is dialled again within a
 * second instead of after grpc-js's default backoff of up to two minutes.
 */
export const TOOL_CHANNEL_OPTIONS: ChannelOptions = {
  "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
  "grpc.initial_reconnect_backoff_ms": 100,
  "grpc.max_reconnect_backoff_ms": 1000,
};
