import type { Logger } from "pino";
import { clientService } from "./api/client-service";
import { blockFromWire } from "./wire/convert";
import { messageService } from "./api/message-service";
import { peerService } from "./api/peer-service";
import { GrpcServer } from "./api/server";
import { Blockchain } from "./blockchain";
import { genesisBlock } from "./chain/genesis";
import { Mempool } from "./chain/mempool";
import { MempoolJournal } from "./chain/mempool-journal";
import { proposerRank } from "./chain/proposer";
import { BlockStore } from "./chain/store";
import type { Block, BlockId } from "./chain/types";
import type { Config } from "./config";
import type { Consensus } from "./consensus/consensus";
import { Engine, type PollReport } from "./consensus/engine";
import type { NodeId } from "./consensus/types";
import type { StatusResponse } from "./wire/generated/snowchain/v1/StatusResponse";
import { createMetrics, type Metrics } from "./metrics/metrics";
import { MetricsServer, type Readiness } from "./metrics/server";
import { Discovery } from "./p2p/discovery";
import { MemberTable } from "./p2p/membership";
import { PeerNetwork, PeerPool } from "./p2p/peer-network";
import { Sync } from "./sync";
import { formatHostPort } from "./wire/host-port";

/** Ancestors fetched one by one for a block with an unknown parent before a sync takes over. */
const MAX_PARENT_FETCH = 8;
/** Under contention, how much later each rank of the proposer order proposes. */
const PROPOSER_WINDOW_MS = 5;
/** How long after a rejection proposals stay staggered. */
const CONTENTION_MEMORY_MS = 2_000;
/** The journal is rewritten once it holds this many bytes more than the mempool. */
const JOURNAL_SLACK_BYTES = 8 * 1024 * 1024;

export interface NodeAddresses {
  readonly grpcPort: number;
  readonly metricsPort: number;
}

/**
 * The composition root: builds every part of a peer from its configuration, wires them, and
 * owns start and stop. Only this file names concrete classes.
 */
export class SnowchainNode {
  readonly metrics: Metrics;
  private readonly log: Logger;
  private blockchain!: Blockchain;
  private engine!: Engine;
  private network!: PeerNetwork;
  private table!: MemberTable;
  private pool!: PeerPool;
  private discovery!: Discovery;
  private sync!: Sync;
  private server!: GrpcServer;
  private metricsServer!: MetricsServer;
  private store!: BlockStore;
  private journal!: MempoolJournal;
  private proposeScheduled = false;
  private compacting = false;
  private lastRejectionMs = 0;
  /** Polls and proposals wait until this peer has reached the network (see Discovery.onJoined). */
  private joined = false;
  private stopping: Promise<void> | undefined;
  private readonly fetching = new Set<BlockId>();

  constructor(
    readonly config: Config,
    logger: Logger,
    private readonly version: string,
    /** Called when the node cannot go on (the store failed): the process should exit. */
    private readonly onFatal: (err: Error) => void = () => {},
  ) {
    this.log = logger;
    this.metrics = createMetrics({ nodeId: config.nodeId, version });
  }

  async start(): Promise<NodeAddresses> {
    const cfg = this.config;
    const log = this.log;
    const now = (): number => Date.now();
    const genesis = genesisBlock(cfg.networkName);

    this.store = await BlockStore.open(cfg.dataDir, genesis);
    if (this.store.recoveredBytesDropped > 0) {
      log.warn({ bytes: this.store.recoveredBytesDropped }, "dropped a torn tail of the block store (a crash mid-write)");
    }
    const opened = await MempoolJournal.open(cfg.dataDir);
    this.journal = opened.journal;
    const mempool = new Mempool({ maxEntries: cfg.mempoolMaxEntries, maxBytes: cfg.mempoolMaxBytes });
    mempool.restore(opened.entries.filter((e) => this.store.entryHeight(e.id) === undefined));
    log.info({ height: this.store.height(), pending: mempool.size, dataDir: cfg.dataDir }, "chain loaded");

    this.blockchain = new Blockchain(
      {
        nodeId: cfg.nodeId,
        snowball: cfg.snowball,
        limits: { maxEntryBytes: cfg.maxEntryBytes, maxBlockEntries: cfg.maxBlockEntries, maxBlockBytes: cfg.maxBlockBytes },
        maxProcessingHeights: cfg.maxProcessingHeights,
      },
      { store: this.store, mempool, journal: this.journal, now, log: log.child({ module: "chain" }), metrics: this.metrics },
      (err) => this.onFatal(err),
    );
    await this.blockchain.compactJournal();
    this.blockchain.onAccepted(() => this.maybeCompactJournal());

    const m = this.metrics;
    const selfAddress = formatHostPort(cfg.advertise);
    const p2pLog = log.child({ module: "p2p" });
    this.table = new MemberTable(
      { selfId: cfg.nodeId, selfAddress, graceMs: cfg.memberGraceMs, maxNeighbors: cfg.maxNeighbors },
      Math.random,
      (event) => {
        if (event.type === "dropped") m.p2p.membersDropped.inc();
        p2pLog.info({ event: event.type, peer: event.member.nodeId, address: event.member.address }, `member ${event.type}`);
        this.updateMemberGauges();
      },
    );
    this.pool = new PeerPool(
      { selfId: cfg.nodeId, queryTimeoutMs: cfg.pollTimeoutMs, callTimeoutMs: Math.max(cfg.pollTimeoutMs, 2000), lastAcceptedHeight: () => this.blockchain.lastAcceptedHeight },
      (method, code, seconds) => {
        m.grpc.clientHandled.inc({ method, code });
        m.grpc.clientHandling.observe({ method }, seconds);
      },
    );
    this.sync = new Sync(
      { batch: cfg.syncBatch, lag: cfg.maxProcessingHeights, maxBlockEntries: cfg.maxBlockEntries, timeoutMs: 10_000 },
      {
        blockchain: this.blockchain,
        table: this.table,
        pool: this.pool,
        log: log.child({ module: "sync" }),
        metrics: m,
        onAdopted: () => this.replaceEngine(),
      },
    );
    // Only members' claims count: a stranger cannot send this peer chasing a height.
    const onRemoteHeight = (from: NodeId, height: number): void => {
      if (this.table.has(from)) this.sync.observe(height);
    };
    this.discovery = new Discovery(
      { selfId: cfg.nodeId, selfAddress, genesisId: genesis.id, seeds: cfg.seeds, heartbeatMs: cfg.heartbeatMs },
      {
        table: this.table,
        pool: this.pool,
        log: p2pLog,
        now,
        lastAcceptedHeight: () => this.blockchain.lastAcceptedHeight,
        onRemoteHeight,
        onHandshake: (result) => m.p2p.handshakes.inc({ result }),
        onDropped: () => this.kick(),
        onJoined: () => {
          this.joined = true;
          this.kick();
          this.proposeSoon();
        },
      },
    );
    this.network = new PeerNetwork({ table: this.table, pool: this.pool, now, onRemoteHeight });
    this.engine = this.makeEngine(this.blockchain.consensus);

    const apiLog = log.child({ module: "api" });
    this.server = new GrpcServer({
      peer: peerService({
        log: apiLog,
        metrics: m,
        directory: this.discovery,
        selfId: cfg.nodeId,
        genesisId: genesis.id,
        lastAcceptedHeight: () => this.blockchain.lastAcceptedHeight,
      }),
      message: messageService({
        log: apiLog,
        metrics: m,
        blockchain: this.blockchain,
        receive: (blocks, from) => this.receive(blocks, from),
        onRemoteHeight,
        maxBlockEntries: cfg.maxBlockEntries,
        rangeLimit: cfg.syncBatch,
      }),
      client: clientService({
        log: apiLog,
        metrics: m,
        blockchain: this.blockchain,
        onSubmitted: () => this.proposeSoon(),
        status: () => this.status(),
        pageSize: cfg.syncBatch,
      }),
    });
    const grpcPort = await this.server.listen(cfg.listen);
    this.metricsServer = new MetricsServer({ port: cfg.metricsPort }, { registry: m.registry, readiness: () => this.readiness() });
    const metricsPort = await this.metricsServer.start();
    m.consensus.lastAcceptedHeight.set(this.blockchain.lastAcceptedHeight);
    this.server.setServing(true);
    this.discovery.start();
    log.info({ listen: formatHostPort({ host: cfg.listen.host, port: grpcPort }), advertise: selfAddress, metricsPort, seeds: cfg.seeds.map(formatHostPort) }, "peer started");
    return { grpcPort, metricsPort };
  }

  /** Stops taking calls, finishes what is in flight, flushes the store. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.log.info("stopping");
    this.discovery?.stop();
    await this.server?.stop(2000);
    await this.engine?.stop();
    await this.sync?.stop();
    this.pool?.closeAll();
    await this.blockchain?.flush();
    await this.store?.close();
    await this.journal?.close();
    await this.metricsServer?.stop();
    this.log.info("stopped");
  }

  readiness(): Readiness {
    if (!this.joined) return { ready: false, reason: "looking for the network" };
    if (this.sync.active) return { ready: false, reason: "syncing" };
    if (this.table.size > 0 && this.table.live().length === 0) return { ready: false, reason: "no live neighbor" };
    return { ready: true, reason: this.table.size === 0 ? "ready (a network of one)" : "ready" };
  }

  status(): StatusResponse {
    const c = this.blockchain.consensus;
    const chain = c.preferredChain();
    return {
      node_id: this.config.nodeId,
      address: formatHostPort(this.config.advertise),
      version: this.version,
      height: this.blockchain.durableHeight,
      last_accepted_id: Buffer.from(this.blockchain.acceptedAt(this.blockchain.durableHeight)!.id, "hex"),
      known_peers: this.table.size,
      live_peers: this.table.live().length,
      mempool_size: this.blockchain.mempoolSize,
      processing_blocks: c.processingCount(),
      syncing: this.sync.active,
      preferred_height: chain.length > 0 ? chain[chain.length - 1]!.height : c.lastAcceptedHeight,
      genesis_id: Buffer.from(this.blockchain.genesis().id, "hex"),
    };
  }

  private makeEngine(consensus: Consensus): Engine {
    const m = this.metrics;
    return new Engine(this.config.snowball, {
      selfId: this.config.nodeId,
      consensus,
      network: this.network,
      membership: this.table,
      random: { next: Math.random },
      clock: { now: Date.now },
      // Polls that fail at once (a closed client) must not chain as microtasks and starve I/O.
      schedule: (task) => setImmediate(task),
      answerSelf: (q) => ({
        fromHeight: q.fromHeight,
        preferredIds: this.blockchain.answer(q.fromHeight, q.block.height),
        lastAcceptedHeight: this.blockchain.lastAcceptedHeight,
      }),
      onDecisions: (d) => {
        if (d.rejected.length > 0) this.lastRejectionMs = Date.now();
        this.blockchain.applyDecisions(consensus, d);
        if (d.accepted.length > 0) this.proposeSoon();
      },
      onPoll: (r: PollReport) => {
        m.consensus.polls.inc({ outcome: r.successful ? "successful" : "failed" });
        if (r.endedEarly) m.consensus.pollsEndedEarly.inc();
        if (r.droppedVotes > 0) m.consensus.votesDropped.inc(r.droppedVotes);
        m.consensus.pollDuration.observe(r.durationMs / 1000);
        m.consensus.pollsInFlight.set(this.engine.inFlight);
        m.consensus.confidence.set(consensus.confidenceAt(consensus.lastAcceptedHeight + 1));
      },
      onUnknownBlock: (id, from) => this.fetchBlock(id, from, MAX_PARENT_FETCH),
      onError: (err) => this.log.error({ err }, "consensus callback failed"),
    });
  }

  /** After a sync the consensus is new: polls of the old one are abandoned. */
  private replaceEngine(): void {
    void this.engine.stop();
    this.engine = this.makeEngine(this.blockchain.consensus);
    this.kick();
    this.proposeSoon();
  }

  /**
   * Blocks from a peer: add what fits, fetch unknown parents from the sender, poll. Returns why
   * blocks were refused (invalid), so a gossip can be answered with the reason.
   */
  private receive(blocks: readonly Block[], from: NodeId | undefined): unknown[] {
    const refused: unknown[] = [];
    const { added, orphans } = this.blockchain.learn(blocks, (block, err) => {
      refused.push(err);
      this.log.warn({ peer: from, height: block.height, block: block.id, reason: (err as Error).message }, "invalid block refused");
    });
    if (added.length > 0) this.kick();
    for (const o of orphans) {
      if (o.height > this.blockchain.lastAcceptedHeight + this.config.maxProcessingHeights + MAX_PARENT_FETCH) {
        if (from !== undefined && this.table.has(from)) this.sync.observe(o.height - 1);
      } else if (from) {
        this.fetchBlock(o.parentId, from, MAX_PARENT_FETCH, o);
      }
    }
    return refused;
  }

  /** Fetches a block (and, while unknown, its ancestors) from a member, then learns them. */
  private fetchBlock(id: BlockId, from: NodeId, depth: number, child?: Block): void {
    const member = this.table.get(from);
    if (!member || depth <= 0 || this.fetching.has(id) || this.blockchain.blockById(id)) return;
    this.fetching.add(id);
    this.pool
      .client(member.address)
      .fetchBlock(id)
      .then((wire) => {
        if (!wire) return;
        const block = blockFromWire(wire, this.config.maxBlockEntries);
        if (block.id !== id) return;
        const batch = child ? [block, child] : [block];
        const { orphans } = this.blockchain.learn(batch);
        this.kick();
        if (orphans.some((o) => o.id === block.id)) this.fetchBlock(block.parentId, from, depth - 1, block);
      })
      .catch((err: unknown) => this.log.debug({ peer: from, block: id, err: (err as Error).message }, "fetch block failed"))
      .finally(() => this.fetching.delete(id));
  }

  private kick(): void {
    if (this.joined && !this.stopping) this.engine.kick();
  }

  /**
   * Proposals are batched: submits arriving in the same tick share one block. Under contention
   * (blocks were rejected lately: several peers propose at the same heights and all but one
   * lose) a peer waits its rank in the height's proposer order times a short window, so the
   * first-ranked peer's block usually reaches the others before they propose a rival; they
   * build on top of it instead. Without contention there is no wait.
   */
  private proposeSoon(): void {
    if (this.proposeScheduled || this.stopping || !this.joined) return;
    this.proposeScheduled = true;
    const run = (): void => {
      this.proposeScheduled = false;
      if (this.stopping) return;
      const block = this.blockchain.propose();
      if (!block) return;
      this.kick();
      for (const n of this.table.neighbors()) {
        this.pool
          .client(n.address)
          .gossip([block])
          .catch(() => {});
      }
    };
    const delay = this.proposalDelayMs();
    if (delay > 0) setTimeout(run, delay);
    else setImmediate(run);
  }

  private proposalDelayMs(): number {
    if (Date.now() - this.lastRejectionMs > CONTENTION_MEMORY_MS) return 0;
    const chain = this.blockchain.consensus.preferredChain();
    const height = (chain.length > 0 ? chain[chain.length - 1]!.height : this.blockchain.lastAcceptedHeight) + 1;
    return proposerRank(height, this.config.nodeId, this.table.members()) * PROPOSER_WINDOW_MS;
  }

  private maybeCompactJournal(): void {
    if (this.compacting || this.blockchain.journalBytes < JOURNAL_SLACK_BYTES) return;
    this.compacting = true;
    this.blockchain
      .compactJournal()
      .catch((err: unknown) => this.log.error({ err }, "journal compaction failed"))
      .finally(() => (this.compacting = false));
  }

  private updateMemberGauges(): void {
    const p = this.metrics.p2p;
    p.knownMembers.set(this.table.size);
    p.liveMembers.set(this.table.live().length);
    p.liveNeighbors.set(this.table.neighbors().length);
  }
}
