/** Most heights one query may ask about (and blocks one query or gossip may carry): bounds the work a remote can ask for. */
export const MAX_QUERY_HEIGHTS = 64;
