/**
 * A client of the rollout API: every request signed with SigV4 for `execute-api` (the API's only
 * authorization is AWS_IAM), JSON in and out, and every answer other than success turned into the
 * failure the command exits with. Starting, reading and controlling rollouts are one request each;
 * a control verb (abort, approve, reject, pause, resume, promote, retry) is `control(id, verb, body)`.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { type CommandFailure, RefusalError, UnreachableError, UsageError } from '../exit.js';
import type { WirePage, WireRollout, WireStarted } from './wire.js';

/** AWS credentials, as the SDK's providers resolve them. */
export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}
export type CredentialsProvider = () => Promise<Credentials>;

export interface ApiClientOptions {
  /** The API's stage URL, ending in `/` (the stack's `RolloutApiUrl` output). */
  readonly baseUrl: string;
  /** The region requests are signed for: the API's. */
  readonly region: string;
  readonly credentials: CredentialsProvider;
  /** How many times a request may be sent in all when throttled, when the service is briefly unavailable, or, for safe requests, when the network fails. */
  readonly attempts?: number;
  /** Waits between attempts (tests pass a fast one). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The query of `GET /rollouts`, as typed: the service checks it. */
export interface ListQuery {
  readonly functionName?: string | undefined;
  readonly alias?: string | undefined;
  readonly status?: string | undefined;
  readonly limit?: string | undefined;
  readonly nextToken?: string | undefined;
}

interface Request {
  readonly method: 'GET' | 'POST';
  /** Relative to the stage URL, without a leading slash. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Whether sending it twice does no harm (GET, or a start under an Idempotency-Key). */
  readonly safe: boolean;
  /** A 404 is an answer (nothing there yet), not a failure. */
  readonly missingIsAnswer?: boolean;
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Headers;
}

/** Statuses worth another attempt: the request was not acted on. */
const RETRYABLE = new Set([429, 502, 503, 504]);
const BASE_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 4000;
const REQUEST_TIMEOUT_MS = 30_000;

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The rollout API, signed. */
export class RolloutApiClient {
  private readonly signer: SignatureV4;
  private readonly base: URL;
  /** The server's clock at its last answer (its Date header), epoch ms; undefined before any answer. */
  serverTime: number | undefined;

  constructor(private readonly options: ApiClientOptions) {
    this.base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    this.signer = new SignatureV4({ credentials: options.credentials, region: options.region, service: 'execute-api', sha256: Sha256 });
  }

  /** `POST /rollouts` under an Idempotency-Key; `replayed` when the service answered a retry of an earlier start. */
  async start(input: unknown, idempotencyKey: string): Promise<WireStarted & { replayed: boolean }> {
    const answer = await this.send({ method: 'POST', path: 'rollouts', body: input, headers: { 'idempotency-key': idempotencyKey }, safe: true });
    return { ...(answer.body as WireStarted), replayed: answer.headers.get('idempotent-replayed') === 'true' };
  }

  /** `GET /rollouts/{id}`; an unknown id is the caller's mistake (exit 2). */
  async get(id: string): Promise<WireRollout> {
    return (await this.send({ method: 'GET', path: `rollouts/${encodeURIComponent(id)}`, safe: true })).body as WireRollout;
  }

  /** `GET /rollouts/{id}`, or undefined while there is no such rollout (yet). */
  async find(id: string): Promise<WireRollout | undefined> {
    const answer = await this.send({ method: 'GET', path: `rollouts/${encodeURIComponent(id)}`, safe: true, missingIsAnswer: true });
    return answer.status === 404 ? undefined : (answer.body as WireRollout);
  }

  /** `GET /rollouts`, one page. */
  async list(query: ListQuery): Promise<WirePage> {
    const params = Object.fromEntries(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined));
    return (await this.send({ method: 'GET', path: 'rollouts', query: params, safe: true })).body as WirePage;
  }

  /** `POST /rollouts/{id}/{verb}` with a JSON body: abort, approve, reject, pause, resume, promote, retry. */
  async control(id: string, verb: string, body: unknown): Promise<Record<string, unknown>> {
    return (await this.send({ method: 'POST', path: `rollouts/${encodeURIComponent(id)}/${verb}`, body, safe: false })).body as Record<string, unknown>;
  }

  private async send(request: Request): Promise<Answer> {
    const attempts = Math.max(1, this.options.attempts ?? 4);
    const sleep = this.options.sleep ?? wait;
    const route = `${request.method} /${request.path.replace(/^rollouts\/[^/]+/, 'rollouts/{id}')}`;
    for (let attempt = 1; ; attempt++) {
      let answer: Answer;
      try {
        answer = await this.sendOnce(request);
      } catch (error) {
        if (request.safe && attempt < attempts) {
          await sleep(backoff(attempt));
          continue;
        }
        throw new UnreachableError([`could not reach the rollout API at ${this.base.origin} (${route}): ${networkReason(error)}`], {}, { cause: error });
      }
      const date = Date.parse(answer.headers.get('date') ?? '');
      if (Number.isFinite(date)) this.serverTime = date;
      if ((answer.status >= 200 && answer.status < 300) || (answer.status === 404 && request.missingIsAnswer)) return answer;
      const inProgress = answer.status === 409 && answer.headers.get('retry-after') !== null;
      if ((RETRYABLE.has(answer.status) || inProgress) && attempt < attempts) {
        await sleep(retryAfterMs(answer.headers.get('retry-after')) ?? backoff(attempt));
        continue;
      }
      throw answerFailure(route, answer.status, answer.body);
    }
  }

  private async sendOnce(request: Request): Promise<Answer> {
    const url = new URL(request.path, this.base);
    for (const [k, v] of Object.entries(request.query ?? {})) url.searchParams.set(k, v);
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    const headers: Record<string, string> = {
      host: url.host,
      accept: 'application/json',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...request.headers,
    };
    const signed = await this.signer.sign({
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      ...(body !== undefined ? { body } : {}),
    });
    // fetch sets Host itself, to the same value that was signed.
    const { host: _host, ...sent } = signed.headers;
    const response = await fetch(url, { method: request.method, headers: sent, ...(body !== undefined ? { body } : {}), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // Not JSON: kept as text for the message.
    }
    return { status: response.status, body: parsed, headers: response.headers };
  }
}

function backoff(attempt: number): number {
  return Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** (attempt - 1));
}

function retryAfterMs(value: string | null): number | undefined {
  const seconds = value === null ? NaN : Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(MAX_BACKOFF_MS * 5, seconds * 1000) : undefined;
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

const messageOf = (body: unknown): string | undefined => {
  if (typeof body === 'string') return body || undefined;
  const b = body as { error?: unknown; message?: unknown } | undefined;
  return typeof b?.error === 'string' ? b.error : typeof b?.message === 'string' ? b.message : undefined;
};

/**
 * The failure an API answer means for the command: the caller's input was refused (400, 404,
 * 422: exit 2), the service refused to act now (409: exit 3), or the service could not be used
 * (403 and anything else: exit 4). The lines say what the service said, field by field.
 *
 * @example answerFailure('POST /rollouts', 409, { error: 'rollout r1 is already running on orders:live (...)' }).exitCode // 3
 */
export function answerFailure(route: string, status: number, body: unknown): CommandFailure {
  const details = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const message = messageOf(body);
  if (status === 400) {
    const errors = Array.isArray(details.errors) ? (details.errors as { field?: unknown; rule?: unknown }[]) : [];
    const lines = errors.length > 0 ? errors.map((e) => `  ${String(e.field)}: ${String(e.rule)}`) : [`  ${message ?? 'bad request'}`];
    return new UsageError([`the rollout API refused the request (${route}, 400):`, ...lines], details);
  }
  if (status === 404 || status === 422) return new UsageError([`${message ?? 'not found'} (${route}, ${status})`], details);
  if (status === 409) return new RefusalError([`refused: ${message ?? 'conflict'}`], details);
  if (status === 401 || status === 403) {
    return new UnreachableError(
      [
        `the rollout API denied access (${route}, ${status}): ${message ?? 'forbidden'}`,
        `  the caller needs execute-api:Invoke on this route (README: "Permissions the CLI needs")`,
      ],
      details,
    );
  }
  return new UnreachableError([`the rollout API failed (${route}, ${status}): ${message ?? 'no message'}`], details);
}
