import type { Logger } from "pino";
import { clientService, statusOf, type PeerStatus } from "./api/client-service";
import { messageService } from "./api/message-service";
import { collusionService } from "./api/collusion-service";
import { peerService } from "./api/peer-service";
import { labService } from "./api/lab-service";
import { GrpcServer } from "./api/server";
import type { Behaviour } from "./behaviour/behaviour";
import { truthfulAnswer } from "./behaviour/answer";
import { createBehaviour } from "./behaviour/registry";
import { genesisBlock } from "./chain/genesis";
import { Mempool } from "./chain/mempool";
import { MempoolJournal } from "./chain/mempool-journal";
import { BlockStore } from "./chain/store";
import type { Config } from "./config";
import type { Consensus, Decisions } from "./consensus/consensus";
import { Engine, type PollReport } from "./consensus/engine";
import type { NodeId } from "./consensus/types";
import { AcceptanceEvents } from "./ledger/acceptance-events";
import { AcceptedChain } from "./ledger/accepted-chain";
import { BlockIntake } from "./ledger/intake";
import { Ledger } from "./ledger/ledger";
import { PendingEntries } from "./ledger/pending-entries";
import { PollPacer } from "./ledger/poll-pacer";
import { Poller } from "./ledger/poller";
import { Producer, proposerWindowMs } from "./ledger/producer";
import { Sync } from "./ledger/sync";
import { createMetrics, recordPoll, type Metrics } from "./metrics/metrics";
import { readinessOf } from "./metrics/readiness";
import { MetricsServer, type Readiness } from "./metrics/server";
import { Benchlist } from "./p2p/benchlist";
import { Discovery } from "./p2p/discovery";
import { AdmissionLimiter } from "./p2p/admission";
import { Handshaker } from "./p2p/handshake";
import { Sessions } from "./p2p/sessions";
import { FaultyTransport } from "./p2p/faulty-transport";
import { loadIdentity } from "./p2p/identity";
import { LabControl } from "./p2p/lab-control";
import { MemberTable } from "./p2p/membership";
import { PeerNetwork, PeerPool } from "./p2p/peer-network";
import type { StatusResponse } from "./wire/generated/snowchain/v1/StatusResponse";
import { formatHostPort } from "./wire/host-port";
import { MAX_QUERY_HEIGHTS } from "./wire/limits";
import { DIRECT_TRANSPORT, type Transport } from "./wire/transport";

export interface NodeAddresses {
  readonly grpcPort: number;
  readonly metricsPort: number;
}

/** Everything a running peer is made of; built by `build`, started and stopped by the node. */
interface Parts {
  readonly store: BlockStore;
  readonly journal: MempoolJournal;
  readonly ledger: Ledger;
  readonly table: MemberTable;
  readonly pool: PeerPool;
  readonly discovery: Discovery;
  readonly sync: Sync;
  readonly poller: Poller;
  readonly producer: Producer;
  readonly server: GrpcServer;
  readonly metricsServer: MetricsServer;
  readonly peerStatus: PeerStatus;
  readonly behaviour: Behaviour;
  readonly network: PeerNetwork;
}

/**
 * The composition root: builds every part of a peer from its configuration, wires their
 * callbacks, and owns start and stop. Only this file names concrete classes; it decides nothing.
 */
export class SnowchainNode {
  readonly metrics: Metrics;
  private parts: Parts | undefined;
  private joined = false;
  private stopping: Promise<void> | undefined;

  constructor(
    readonly config: Config,
    private readonly log: Logger,
    private readonly version: string,
    /** Called when the node cannot go on (the store failed): the process should exit. */
    private readonly onFatal: (err: Error) => void = () => {},
  ) {
    // Series are labelled by the human name: dashboards show people the names they gave.
    this.metrics = createMetrics({ nodeId: config.name, version, behaviour: config.behaviour });
  }

  async start(): Promise<NodeAddresses> {
    const parts = (this.parts = await this.build());
    const cfg = this.config;
    await parts.ledger.compactJournal();
    const grpcPort = await parts.server.listen(cfg.listen);
    const metricsPort = await parts.metricsServer.start();
    this.metrics.consensus.lastAcceptedHeight.set(parts.ledger.lastAcceptedHeight);
    parts.server.setServing(true);
    parts.discovery.start();
    const listen = formatHostPort({ host: cfg.listen.host, port: grpcPort });
    this.log.info({ listen, advertise: formatHostPort(cfg.advertise), metricsPort, seeds: cfg.seeds.map(formatHostPort) }, "peer started");
    return { grpcPort, metricsPort };
  }

  /** Stops taking calls, finishes what is in flight, flushes the store. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  /** How this peer answers and proposes (known once started): tests read a balancer's estimate through it. */
  get behaviour(): Behaviour {
    if (!this.parts) throw new Error("the node has not started");
    return this.parts.behaviour;
  }

  /** This peer's node id, derived from its key (known once started). */
  get nodeId(): string {
    if (!this.parts) throw new Error("the node has not started");
    return this.parts.peerStatus.nodeId;
  }

  readiness(): Readiness {
    const p = this.parts;
    return readinessOf({ joined: this.joined, syncing: p?.sync.active ?? false, members: p?.table.size ?? 0, liveMembers: p?.table.live().length ?? 0 });
  }

  /** What the Client service's Status answers. */
  status(): StatusResponse {
    const p = this.parts;
    if (!p) throw new Error("the node has not started");
    return statusOf(p.ledger, p.peerStatus);
  }

  private async doStop(): Promise<void> {
    this.log.info("stopping");
    const p = this.parts;
    if (p) {
      p.discovery.stop();
      p.producer.stop();
      p.behaviour.stop?.();
      await p.server.stop(2000);
      await p.poller.stop();
      await p.sync.stop();
      p.pool.closeAll();
      await p.ledger.flush();
      await p.store.close();
      await p.journal.close();
      await p.metricsServer.stop();
    }
    this.log.info("stopped");
  }

  /** This peer reached the network: it may poll and propose. */
  private onJoined(): void {
    this.joined = true;
    const p = this.parts;
    if (!p) return;
    p.sync.enable();
    p.poller.start();
    p.producer.start();
    p.behaviour.start?.({
      neighbours: () => p.table.neighbors(),
      query: (to, fromHeight, blocks) => p.network.queryRange(to, fromHeight, fromHeight + MAX_QUERY_HEIGHTS - 1, blocks),
      gossip: (to, block) => p.network.gossip(to, block),
      members: () => p.table.live(),
      report: async (to, report) => {
        const result = await p.network.report(to, report);
        this.metrics.byzantine.reportsSent.inc({ result });
        return result;
      },
    });
  }

  private async build(): Promise<Parts> {
    const cfg = this.config;
    const log = this.log;
    const m = this.metrics;
    // The lab (LAB_CONTROL=1) may shift this peer's clock and fault its links; otherwise neither exists.
    const lab = cfg.labControl ? this.labControl(() => table) : undefined;
    const now = lab?.control.now ?? Date.now;
    const genesis = genesisBlock(cfg.networkName);

    const signer = await loadIdentity(cfg.dataDir, log);
    const id = signer.nodeId;
    m.setIdentity(id);
    log.info({ id, name: cfg.name }, "identity");
    const store = await BlockStore.open(cfg.dataDir, genesis);
    if (store.recoveredBytesDropped > 0) {
      log.warn({ bytes: store.recoveredBytesDropped }, "dropped a torn tail of the block store (a crash mid-write)");
    }
    const opened = await MempoolJournal.open(cfg.dataDir);
    const journal = opened.journal;
    const mempool = new Mempool({ maxEntries: cfg.mempoolMaxEntries, maxBytes: cfg.mempoolMaxBytes });
    mempool.restore(opened.entries.filter((e) => store.entryHeight(e.id) === undefined));
    log.info({ height: store.height(), pending: mempool.size, dataDir: cfg.dataDir }, "chain loaded");

    const chainLog = log.child({ module: "chain" });
    const events = new AcceptanceEvents(chainLog);
    const chain = new AcceptedChain({ store, events, log: chainLog, onStoreFailure: (err) => this.onFatal(err) });
    const entries = new PendingEntries({ mempool, journal, isAccepted: (id) => chain.isAccepted(id), metrics: m });
    const limits = { maxEntryBytes: cfg.maxEntryBytes, maxBlockEntries: cfg.maxBlockEntries, maxBlockBytes: cfg.maxBlockBytes };
    const ledger = new Ledger({ snowball: cfg.snowball, limits }, { chain, entries, events, now, log: chainLog, metrics: m });
    const behaviour: Behaviour = createBehaviour(cfg.behaviour, { view: ledger, signer, random: Math.random, group: cfg.byzantineGroup, now });
    if (behaviour.name !== "honest") log.warn({ behaviour: behaviour.name, group: cfg.byzantineGroup }, "this peer is byzantine (BEHAVIOUR): it lies as its behaviour says");
    // The height this peer tells others: a sync-liar's is not its real one.
    const claimedHeight = (): number => behaviour.claimedHeight(ledger.lastAcceptedHeight);

    // Every peer-to-peer message passes here, both ways.
    const transport: Transport = lab?.transport ?? DIRECT_TRANSPORT;
    const selfAddress = formatHostPort(cfg.advertise);
    const p2pLog = log.child({ module: "p2p" });
    const table: MemberTable = new MemberTable(
      { selfId: id, selfAddress, graceMs: cfg.memberGraceMs, maxNeighbors: cfg.maxNeighbors },
      Math.random,
      (event) => {
        if (event.type === "dropped") {
          m.p2p.membersDropped.inc();
          // A member that left must handshake again to come back: its session dies with it.
          sessions.revoke(event.member.nodeId);
          sessions.forget(event.member.address);
          benchlist.forget(event.member.nodeId);
        }
        p2pLog.info({ event: event.type, peer: event.member.nodeId, address: event.member.address }, `member ${event.type}`);
        m.p2p.knownMembers.set(table.size);
        m.p2p.liveMembers.set(table.live().length);
        m.p2p.liveNeighbors.set(table.neighbors().length);
      },
    );
    const sessions = new Sessions();
    const benchlist = new Benchlist((n) => m.p2p.benchedMembers.set(n));
    const pool = new PeerPool(
      {
        queryTimeoutMs: cfg.pollTimeoutMs,
        callTimeoutMs: Math.max(cfg.pollTimeoutMs, 2000),
        lastAcceptedHeight: claimedHeight,
        transport,
        sessionFor: (address) => sessions.tokenFor(address),
        onUnauthenticated: (address) => discovery.rehandshake(address),
      },
      (method, code, seconds) => {
        m.grpc.clientHandled.inc({ method, code });
        m.grpc.clientHandling.observe({ method }, seconds);
      },
    );
    // Only members' claims count: a stranger cannot send this peer chasing a height.
    const onRemoteHeight = (from: NodeId, height: number): void => {
      if (table.has(from)) sync.observe(height);
    };
    const network = new PeerNetwork({ maxBlockEntries: cfg.maxBlockEntries }, { table, pool, benchlist, now, onRemoteHeight });
    const sync: Sync = new Sync(
      { batch: cfg.syncBatch, lag: cfg.maxProcessingHeights, timeoutMs: 10_000 },
      { ledger, peers: network, log: log.child({ module: "sync" }), metrics: m, onAdopted: () => {
        poller.replace();
        producer.soon();
      } },
    );
    const kick = (): void => poller.kick();
    const intake = new BlockIntake(
      { maxProcessingHeights: cfg.maxProcessingHeights },
      { ledger, log: chainLog, isMember: (id) => table.has(id), fetchBlock: (from, id) => network.fetchBlock(from, id), behind: (h) => sync.observe(h), kick },
    );
    const producer = new Producer(
      { signer, maxProcessingHeights: cfg.maxProcessingHeights, windowMs: () => proposerWindowMs(network.smoothedRttMs) },
      {
        ledger,
        behaviour,
        now,
        liveMemberIds: () => table.live().map((mem) => mem.nodeId),
        neighbours: () => table.neighbors(),
        send: (to, block) => network.gossip(to, block),
        forward: (leader, entries) => {
          m.chain.entriesForwarded.inc(entries.length);
          network.forwardEntries(leader, entries);
        },
        kick,
      },
    );
    const poller: Poller = new Poller({
      ledger,
      makeEngine: (consensus, onDecisions) => this.makeEngine(consensus, { selfId: id, ledger, network, table, intake, now, onDecisions }),
      onDecided: (d) => producer.onDecisions(d),
    });
    const handshaker = new Handshaker(
      { signer, name: cfg.name, selfAddress, genesisId: genesis.id },
      { table, pool, sessions, admissions: new AdmissionLimiter(now), now, lastAcceptedHeight: claimedHeight, onRemoteHeight },
    );
    const discovery: Discovery = new Discovery(
      { selfId: id, selfAddress, seeds: cfg.seeds, heartbeatMs: cfg.heartbeatMs },
      {
        table,
        pool,
        handshaker,
        sessions,
        log: p2pLog,
        now,
        lastAcceptedHeight: claimedHeight,
        onRemoteHeight,
        onHandshake: (result) => m.p2p.handshakes.inc({ result }),
        onDropped: kick,
        onJoined: () => this.onJoined(),
      },
    );

    const sb = cfg.snowball;
    const peerStatus: PeerStatus = {
      nodeId: id,
      name: cfg.name,
      params: {
        k: sb.k,
        alpha_preference: sb.alphaPreference,
        alpha_confidence: sb.alphaConfidence,
        beta: sb.beta,
        concurrent_polls: sb.concurrentPolls,
        poll_timeout_ms: cfg.pollTimeoutMs,
        member_grace_ms: cfg.memberGraceMs,
        max_processing_heights: cfg.maxProcessingHeights,
      },
      behaviour: cfg.behaviour,
      address: selfAddress,
      version: this.version,
      knownPeers: () => table.size,
      livePeers: () => table.live().length,
      syncing: () => sync.active,
    };
    const apiLog = log.child({ module: "api" });
    const server = new GrpcServer({
      peer: peerService({ log: apiLog, metrics: m, transport, auth: sessions, handshakes: handshaker, directory: discovery, selfId: id, lastAcceptedHeight: claimedHeight }),
      message: messageService({
        log: apiLog,
        metrics: m,
        transport,
        auth: sessions,
        ledger,
        behaviour,
        receive: (blocks, from) => intake.receive(blocks, from),
        unknownBlock: (blockId, from) => intake.fetch(blockId, from),
        takeForwarded: (entries) => {
          const taken = ledger.takeForwarded(entries);
          if (taken > 0) producer.soon();
          return taken;
        },
        maxForwardEntries: 2 * cfg.maxBlockEntries + 2_000,
        onRemoteHeight,
        maxBlockEntries: cfg.maxBlockEntries,
        rangeLimit: cfg.syncBatch,
      }),
      client: clientService({
        log: apiLog,
        metrics: m,
        ledger,
        onSubmitted: () => producer.soon(),
        peer: peerStatus,
        pageSize: cfg.syncBatch,
      }),
      lab: labService({ log: apiLog, metrics: m, control: lab?.control }),
      // Only a balancer with a group has a takeReport: every other peer leaves the service out (UNIMPLEMENTED).
      collusion: behaviour.takeReport && this.fellowReports(behaviour.takeReport, { log: apiLog, transport, auth: sessions }),
    });
    const metricsServer = new MetricsServer({ port: cfg.metricsPort }, { registry: m.registry, readiness: () => this.readiness() });
    return { store, journal, ledger, table, pool, discovery, sync, poller, producer, server, metricsServer, peerStatus, behaviour, network };
  }

  /** The Collusion service of a balancer with a BYZANTINE_GROUP, its reports counted. */
  private fellowReports(take: NonNullable<Behaviour["takeReport"]>, ctx: { log: Logger; transport: Transport; auth: Sessions }) {
    const b = this.metrics.byzantine;
    return collusionService({
      ...ctx,
      metrics: this.metrics,
      take,
      onReport: (result, merged) => {
        b.reportsReceived.inc({ result });
        b.observationsMerged.inc(merged);
      },
    });
  }

  /** The peer's side of the fault lab: a fault decorator on the transport, and a clock it can shift. */
  private labControl(table: () => MemberTable): { control: LabControl; transport: FaultyTransport } {
    const transport = new FaultyTransport(DIRECT_TRANSPORT, {
      nodeIdOf: (address) => table().all().find((m) => m.address === address)?.nodeId,
      random: Math.random,
      setTimer: (task, ms) => setTimeout(task, ms),
    });
    this.log.warn("lab control is on (LAB_CONTROL=1): the Lab service may fault this peer's links and clock");
    return { control: new LabControl(transport), transport };
  }

  /** The poll engine of one consensus, its callbacks turned into metrics and fetches. */
  private makeEngine(
    consensus: Consensus,
    p: { selfId: string; ledger: Ledger; network: PeerNetwork; table: MemberTable; intake: BlockIntake; now: () => number; onDecisions: (d: Decisions) => void },
  ): Engine {
    const m = this.metrics;
    // Polls that fail at once (a closed client) must neither chain as microtasks and starve I/O
    // nor spin: the pacer runs the next one after pending I/O, and later while they keep failing.
    const pacer = new PollPacer({
      now: p.now,
      lastAnswerMs: () => p.network.lastAnswerMs,
      hasMembers: () => p.table.size > 0,
      setTimer: (task, ms) => setTimeout(task, ms),
      setImmediate: (task) => setImmediate(task),
    });
    const engine: Engine = new Engine(this.config.snowball, {
      selfId: p.selfId,
      consensus,
      network: p.network,
      membership: p.table,
      random: { next: Math.random },
      clock: { now: p.now },
      schedule: (task) => pacer.schedule(task),
      // The sample may pick this peer itself: its own vote is always its true view.
      answerSelf: (q) => ({
        fromHeight: q.fromHeight,
        preferredIds: truthfulAnswer(p.ledger, q.fromHeight, q.block.height),
        lastAcceptedHeight: p.ledger.lastAcceptedHeight,
      }),
      onDecisions: p.onDecisions,
      onPoll: (r: PollReport) => {
        pacer.observe(r);
        recordPoll(m, r, { inFlight: engine.inFlight, confidence: consensus.confidenceAt(consensus.lastAcceptedHeight + 1) });
      },
      onUnknownBlock: (id, from) => p.intake.fetch(id, from),
      onError: (err) => this.log.error({ err }, "consensus callback failed"),
    });
    return engine;
  }
}
