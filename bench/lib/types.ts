// The shapes the bench's modules pass to each other and write to latest.json. Type-only:
// the bench runs as plain .mjs under `// @ts-check`; its JSDoc imports these names
// (`@typedef {import('./types.js').Target} Target`), and tsc checks both (tsconfig.json).
import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

export type Alg = 'RS256' | 'ES256' | 'EdDSA';
export type LoadTool = 'wrk' | 'autocannon';

export interface Options {
  quick: boolean;
  rounds: number;
  seconds: number;
  warmupSeconds: number;
  /** Mode names in table order; the reference `bare-proxy` always among them. */
  modes: string[];
  connections: number;
  loadgen: LoadTool | null;
  openLoopSeconds: number;
  alg: Alg;
  serverCpus: string | undefined;
  loadCpus: string | undefined;
  build: boolean;
  waitIdleSeconds: number;
  out: string;
}

/** A child of spawnPinned: stdout and stderr piped, `tail` = the last output for error messages. */
export type Child = ChildProcessByStdio<Writable | null, Readable, Readable> & { tail: string };

export interface CpuPlan {
  pinned: boolean;
  /** taskset CPU lists ("0", "1,2"); null without pinning. */
  server: string | null;
  load: string | null;
  reason: string | null;
}

/** A running server a mode sends its load to. */
export interface Server {
  label: string;
  pid: number;
  url: string;
  child: Child | null;
  /** Every process whose CPU time and memory are the server's (default: [pid]). */
  pids?: () => number[];
  /** A resource server: access tokens it accepts (issued by the gateway whose keys it trusts). */
  tokens?: (n: number) => Promise<TokensOrSkip>;
  /** How it was set up and checked, for latest.json and the notes. */
  details?: string;
}

export interface Redis {
  pid: number;
  url: string;
}

export interface Target {
  url: string;
  headers: Record<string, string>;
  /** Sent as `Authorization: Bearer <token>`, one per request in turn. */
  tokens?: string[];
}
export type TargetOrSkip = Target | { skip: string };
export type TokensOrSkip = { tokens: string[] } | { skip: string };

/** What a mode's target() may ask for while it is set up. */
export interface ModeContext {
  /** The gateway session cookie: one login, shared by every gateway process through Redis. */
  sessionCookie(srv: Server): Promise<string>;
  nodeStackCookie(srv: Server): Promise<string>;
}

export type ServerKind = 'upstream' | 'bare-proxy' | 'bare-undici' | 'node-stack' | 'gateway' | 'apache';

export interface ModeDef {
  name: string;
  about: string;
  server: ServerKind;
  reachesUpstream: boolean;
  /** bare-proxy: every ratio is against it. */
  reference?: boolean;
  /** The Apache mode doing the same job (the ×apache column compares req/s with it). */
  apachePeer?: string;
  /** Also driven in the open-loop pass. */
  openLoop?: boolean;
  /** The probe answering 404 means the feature is missing: skip with this reason. */
  notImplementedOn404?: string;
  target(a: { srv: Server; ctx: ModeContext }): Promise<TargetOrSkip>;
}

export interface ServerStarter {
  /** One process for every mode naming it (else one process per mode). */
  shared: boolean;
  start(label: string): Promise<Server>;
  /** Why this server cannot run on this machine (its modes are skipped), or null. */
  unavailable?: () => Promise<string | null>;
}

export type ModeStatus = 'ok' | 'skipped' | 'failed';

/** A mode while the bench runs. */
export interface ModeState {
  def: ModeDef;
  name: string;
  status: ModeStatus;
  reason: string | null;
  srv: Server | null;
  target: Target | null;
  rounds: ClosedRow[];
}
/** A mode that set up fine and is measured. */
export type ActiveMode = ModeState & { srv: Server; target: Target };

/** One closed-loop run, from wrk or autocannon. */
export interface LoadResult {
  tool?: LoadTool;
  rps: number;
  requests: number;
  seconds: number | null;
  p50Ms: number;
  p99Ms: number | null;
  non2xx: number;
  errors: number;
  socketErrors?: { connect: number; read: number; write: number; timeout: number } | null;
}

/** CPU accounting of one run (µs, shares of the cores' capacity). */
export interface Accounting {
  named: { proc: number | null; redis: number | null; upstream: number | null };
  loadGenUs: number;
  serverCoreBusy: number | null;
  loadCoreBusy: number | null;
  foreignServerShare: number | null;
  foreignLoadShare: number | null;
  irqServerShare: number | null;
  irqLoadShare: number | null;
  stealShare: number | null;
}

export interface PerRequest {
  procUsPerReq: number | null;
  redisUsPerReq: number | null;
  upstreamUsPerReq: number | null;
  procCpuSeconds: number | null;
  loadGenUsPerReq: number | null;
  serverCoreBusy: number | null;
  loadCoreBusy: number | null;
  foreignServerShare: number | null;
  foreignLoadShare: number | null;
  irqServerShare: number | null;
  irqLoadShare: number | null;
  stealShare: number | null;
}

export type ClosedRow = { round: number } & LoadResult &
  PerRequest & { upstreamHits: number | null; disturbed?: boolean };

/** The line bench/lib/openloop-worker.mjs prints. */
export interface OpenLoopResult {
  rate: number;
  scheduled: number;
  sent: number;
  measured: number;
  unanswered: number;
  non2xx: number;
  errors: number;
  timedOut: boolean;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
  p999Ms: number | null;
  maxMs: number | null;
  serviceP50Ms: number | null;
  serviceP99Ms: number | null;
  maxSendLagMs: number;
  lateShare: number;
}
export type OpenLoopRow = { round: number } & OpenLoopResult & PerRequest;

export interface Stat {
  median: number | null;
  min: number | null;
  max: number | null;
  n: number;
}

/** The per-round numbers summarized as median and range (summary.mjs STAT_KEYS lists them in this order). */
export type StatKey =
  | 'rps'
  | 'p50Ms'
  | 'p99Ms'
  | 'procUsPerReq'
  | 'redisUsPerReq'
  | 'upstreamUsPerReq'
  | 'loadGenUsPerReq'
  | 'serverCoreBusy'
  | 'loadCoreBusy'
  | 'foreignServerShare'
  | 'foreignLoadShare'
  | 'irqServerShare'
  | 'irqLoadShare'
  | 'stealShare';

/** rps, cpu, p50: against the reference (bare-proxy); rpsVsUndici: req/s against bare-undici's. */
export interface Ratios {
  rps: number | null;
  cpu: number | null;
  p50: number | null;
  rpsVsUndici: number | null;
  /** req/s against the Apache mode doing the same job (def.apachePeer). */
  rpsVsApache: number | null;
}

export interface ModeSummary {
  about: string;
  server: string;
  reachesUpstream: boolean;
  status: ModeStatus;
  reason?: string | null;
  /** Server.details, when the server has any. */
  serverDetails?: string;
  stats?: Record<StatKey, Stat>;
  median?: Record<StatKey, number | null>;
  non2xx?: number;
  errors?: number;
  tokens?: number;
  peakRssMB?: number | null;
  rssAtEndMB?: number | null;
  rounds?: ClosedRow[];
  disturbedRounds?: number;
  disturbed?: boolean;
  ratios?: Ratios;
}
/** A measured mode's summary: every field set (but `reason`, which only modes that were not measured have). */
export type MeasuredSummary = Required<Omit<ModeSummary, 'reason' | 'serverDetails'>> &
  Pick<ModeSummary, 'reason' | 'serverDetails'>;

export interface OpenLoopModeSummary {
  p50Ms: Stat;
  p99Ms: Stat;
  p999Ms: Stat;
  maxMs: Stat;
  non2xx: number;
  errors: number;
  serviceP50Ms: Stat;
  serviceP99Ms: Stat;
  procUsPerReq: Stat;
  maxSendLagMs: number;
  lateShare: Stat;
  foreignServerShare: Stat;
  foreignLoadShare: Stat;
  rounds: OpenLoopRow[];
  disturbed: boolean;
}

export interface Added {
  p50Ms: number | null;
  p99Ms: number | null;
  serviceP50Ms: number | null;
  serviceP99Ms: number | null;
}

export type OpenLoopSummary =
  | { status: 'ok'; rate: number; modes: Record<string, OpenLoopModeSummary>; added: Record<string, Added> }
  | { status: 'skipped'; reason: string };

export interface TargetDef {
  /** The issue that set it. */
  issue: number;
  label: string;
  /** Closed-loop modes the number depends on (disturbed when any of them was). */
  modes?: string[];
  /** It depends on the open-loop pass. */
  openLoop?: boolean;
  get(s: Summary): number | null;
  op: '>=' | '<=';
  value: number;
  unit: string;
}

export interface TargetResult {
  issue: number;
  label: string;
  op: '>=' | '<=';
  value: number;
  unit: string;
  measured: number | null;
  met: boolean | null;
  disturbed: boolean;
}

export interface Machine {
  nproc: number;
  cpuModel: string;
  memTotalMB: number;
  node: string;
  kernel: string;
  redis: string | null;
  redisPeakRssMB?: number | null;
}

export interface IdleCheck {
  serverCoreBusy: number | null;
  loadCoreBusy: number | null;
}

export interface BuildInfo {
  ok: boolean | null;
  ms: number;
  skipped: boolean;
}

export interface Settings {
  quick: boolean;
  rounds: number;
  seconds: number;
  warmupSeconds: number;
  connections: number;
  threads: number;
  loadGenerator: LoadTool;
  loadGeneratorVersion: string;
  pinning: { pinned: boolean; server: string | null; load: string | null; reason: string | null };
  openLoop: { fraction: number; seconds: number; leadInSeconds: number; connections: number };
  jwtAlgorithm: Alg;
  gatewayKeysFile: boolean;
  logLevel: string;
}

export interface Summary {
  version: number;
  date: string;
  machine: Machine;
  settings: Settings;
  build: BuildInfo;
  modes: Record<string, ModeSummary>;
  openLoop: OpenLoopSummary | null;
  targets: TargetResult[];
  flags: string[];
  notes: string[];
  idleCheck?: IdleCheck | null;
  wallSeconds?: number;
}
