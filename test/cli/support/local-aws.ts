/**
 * For the CLI's end-to-end tests: the local rollout service (`serve.ts`) as a child process, and
 * the `rollout` command run as another, pointed at it the way a user points the AWS SDK anywhere
 * (credentials and region in the environment, `AWS_ENDPOINT_URL_*` for the services).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_CREDENTIALS, TEST_REGION } from './local-account.js';
import type { WorldSettings } from './local-service.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(REPO, 'node_modules', '.bin');

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment of a CI job with AWS credentials, and nothing of this machine's AWS set-up. */
function awsEnvironment(endpoint: string, overrides: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${BIN}${delimiter}${process.env.PATH ?? ''}` };
  for (const name of Object.keys(env)) if (name.startsWith('AWS_')) delete env[name];
  delete env.FORCE_COLOR;
  Object.assign(env, {
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_REGION: TEST_REGION,
    AWS_CONFIG_FILE: join(REPO, 'no-such-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(REPO, 'no-such-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_CLOUDFORMATION: endpoint,
    AWS_ENDPOINT_URL_SFN: endpoint,
    AWS_ENDPOINT_URL_CLOUDWATCH: endpoint,
  });
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

export class LocalAws {
  private constructor(
    private readonly child: ChildProcess,
    readonly endpoint: string,
  ) {}

  /** Starts the local service; resolves once it listens. */
  static start(): Promise<LocalAws> {
    const child = spawn(join(BIN, 'tsx'), ['test/cli/support/serve.ts'], { cwd: REPO, env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let errors = '';
    child.stderr?.on('data', (d: Buffer) => {
      errors += d.toString();
    });
    return new Promise((resolve, reject) => {
      child.stdout?.on('data', (d: Buffer) => {
        const port = /listening (\d+)/.exec(d.toString())?.[1];
        if (port) resolve(new LocalAws(child, `http://127.0.0.1:${port}`));
      });
      child.on('exit', (code) => reject(new Error(`the local service exited (${code}): ${errors}`)));
    });
  }

  /** A fresh world for the next test. */
  async world(settings: WorldSettings = {}): Promise<void> {
    await this.call('/__test/world', settings);
  }

  /** An upload to the artifacts bucket reaching the artifact trigger. */
  upload(key: string, versionId: string): Promise<unknown> {
    return this.call('/__test/upload', { key, versionId });
  }

  /** The world once every execution and its guard are done: the alias, the lock, the executions, the notifications. */
  state(): Promise<{
    alias: { functionVersion: string; routing: Record<string, number> };
    lock: { rolloutId: string } | null;
    executions: { name: string; status: string; error: string | null }[];
    notifications: string[];
    targetVersion: string;
    baselineVersion: string;
  }> {
    return this.call('/__test/state');
  }

  /** `rollout ...args` as a separate process, pointed at this service. */
  rollout(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<Run> {
    return new Promise((resolve) => {
      execFile(join(BIN, 'tsx'), ['cli/main.ts', ...args], { cwd: REPO, env: awsEnvironment(this.endpoint, env), maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
      });
    });
  }

  async stop(): Promise<void> {
    this.child.kill();
  }

  private async call<T>(path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.endpoint}${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }
}
