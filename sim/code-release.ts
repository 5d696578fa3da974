/**
 * An in-memory twin of Lambda's code control plane for releases, over a {@link SimLambda}: an update
 * takes `$LATEST` to InProgress for a configurable time, then to Successful (new code) or Failed
 * (previous code kept); PublishVersion checks the CodeSha256 and RevisionId as Lambda does and publishes
 * through SimLambda, so the rest of the simulated world sees the new version.
 *
 * The release state (update in flight, RevisionId) lives here; SimLambda only sees the resulting
 * `$LATEST` configuration and published versions.
 */
import { DriftError, RejectedError, UpdateInProgressError } from '../functions/core/errors.js';
import { functionNameOf } from '../functions/core/function-ref.js';
import { type CodeLocation, type CodeStatus, type CodeUpdate } from '../functions/core/release.js';
import { sha256Hex } from '../functions/sha256.js';
import type { CodeRelease } from '../functions/ports.js';
import type { SimLambda } from './lambda.js';

export interface SimCodeReleaseOptions {
  /** How long an update stays InProgress, in ms. Default 5 s. */
  readonly updateMs?: number;
  /** The clock; `Date.now` by default (virtual under fake timers). */
  readonly now?: () => number;
  /**
   * The CodeSha256 of an object version; by default a stable digest of bucket, key and version, so
   * the same object always yields the same code.
   */
  readonly codeSha256Of?: (location: CodeLocation) => string;
}

interface Pending {
  readonly codeSha256: string;
  readonly previousSha256: string;
  readonly completesAt: number;
  readonly failure?: string | undefined;
}

interface FunctionCode {
  revision: number;
  pending?: Pending | undefined;
  lastStatus: 'Successful' | 'Failed';
  lastReason?: string | undefined;
}

/** One call through the port, for tests and reports. */
export interface CodeReleaseCall {
  readonly op: 'updateCode' | 'getCodeStatus' | 'publishVersion' | 'findVersion';
  readonly functionName: string;
  readonly args: unknown;
  readonly at: number;
}

export class SimCodeRelease implements CodeRelease {
  /** Every call made through the port, in order. */
  readonly calls: CodeReleaseCall[] = [];
  /** Versions published through the port: function, version, CodeSha256. */
  readonly published: { functionName: string; version: string; codeSha256: string; description: string }[] = [];
  private readonly code = new Map<string, FunctionCode>();
  private readonly failures: string[] = [];
  private readonly updateMs: number;
  private readonly now: () => number;
  private readonly codeSha256Of: (location: CodeLocation) => string;

  constructor(
    private readonly lambda: SimLambda,
    options: SimCodeReleaseOptions = {},
  ) {
    this.updateMs = options.updateMs ?? 5_000;
    this.now = options.now ?? (() => Date.now());
    this.codeSha256Of =
      options.codeSha256Of ??
      ((l) => Buffer.from(sha256Hex(`${l.s3Bucket}/${l.s3Key}#${l.s3ObjectVersion}`), 'hex').toString('base64'));
  }

  // ----- faults and outside changes -----

  /** The next update fails after its InProgress time, with this LastUpdateStatusReason. */
  failNextUpdate(reason = 'InvalidZipFileException: Could not unzip uploaded file'): void {
    this.failures.push(reason);
  }

  /** Someone else updates the function's code (a person, another pipeline): CodeSha256 and RevisionId move on. */
  changeCodeExternally(functionName: string, codeSha256: string): void {
    const name = functionNameOf(functionName);
    this.lambda.setVersion(name, '$LATEST', { codeSha256, lastUpdateStatus: 'Successful' });
    const state = this.state(name);
    state.pending = undefined;
    state.lastStatus = 'Successful';
    state.revision += 1;
  }

  // ----- the port -----

  async updateCode(functionName: string, location: CodeLocation): Promise<CodeUpdate> {
    const name = functionNameOf(functionName);
    this.record('updateCode', name, location);
    const state = this.settle(name);
    const latest = await this.lambda.getVersion(name, '$LATEST');
    if (state.pending) {
      throw new UpdateInProgressError(`UpdateFunctionCode ${name}: The operation cannot be performed at this time. An update is in progress for resource`);
    }
    if (!location.s3ObjectVersion) throw new RejectedError(`UpdateFunctionCode ${name}: no S3 object version`);
    const codeSha256 = this.codeSha256Of(location);
    state.pending = {
      codeSha256,
      previousSha256: latest.codeSha256 ?? '',
      completesAt: this.now() + this.updateMs,
      failure: this.failures.shift(),
    };
    state.revision += 1;
    // Like Lambda, $LATEST shows the new code at once, with LastUpdateStatus InProgress.
    this.lambda.setVersion(name, '$LATEST', { codeSha256, lastUpdateStatus: 'InProgress' });
    return { codeSha256, revisionId: this.revisionId(name) };
  }

  async getCodeStatus(functionName: string): Promise<CodeStatus> {
    const name = functionNameOf(functionName);
    this.record('getCodeStatus', name, {});
    const state = this.settle(name);
    const latest = await this.lambda.getVersion(name, '$LATEST');
    return {
      state: latest.state,
      lastUpdateStatus: latest.lastUpdateStatus,
      ...(state.lastReason && !state.pending ? { reason: state.lastReason } : {}),
      codeSha256: latest.codeSha256 ?? '',
      revisionId: this.revisionId(name),
    };
  }

  async publishVersion(
    functionName: string,
    request: { readonly codeSha256: string; readonly revisionId?: string | undefined; readonly description: string },
  ): Promise<{ version: string }> {
    const name = functionNameOf(functionName);
    this.record('publishVersion', name, request);
    const state = this.settle(name);
    const latest = await this.lambda.getVersion(name, '$LATEST');
    if (state.pending) {
      throw new UpdateInProgressError(`PublishVersion ${name}: The operation cannot be performed at this time. An update is in progress for resource`);
    }
    if (request.revisionId && request.revisionId !== this.revisionId(name)) {
      throw new DriftError(`PublishVersion ${name}: The Revision Id provided does not match the latest Revision Id (HTTP 412); nothing was published`);
    }
    if (request.codeSha256 !== latest.codeSha256) {
      throw new DriftError(
        `PublishVersion ${name}: CodeSHA256 (${request.codeSha256}) is different from current CodeSHA256 in $LATEST (${latest.codeSha256 ?? ''}); nothing was published`,
      );
    }
    const version = this.lambda.publishVersion(name, {
      role: latest.role,
      deadLetterTargetArn: latest.deadLetterTargetArn,
      codeSha256: latest.codeSha256,
      description: request.description,
    });
    state.revision += 1;
    this.published.push({ functionName: name, version, codeSha256: request.codeSha256, description: request.description });
    return { version };
  }

  async findVersion(functionName: string, wanted: { readonly codeSha256: string; readonly description: string }): Promise<string | undefined> {
    const name = functionNameOf(functionName);
    this.record('findVersion', name, wanted);
    const ours = this.lambda.listVersions(name).filter((v) => v.codeSha256 === wanted.codeSha256 && (v.description ?? '') === wanted.description);
    return ours.at(-1)?.version;
  }

  // ----- internals -----

  private record(op: CodeReleaseCall['op'], functionName: string, args: unknown): void {
    this.calls.push({ op, functionName, args, at: this.now() });
  }

  private state(name: string): FunctionCode {
    let state = this.code.get(name);
    if (!state) {
      state = { revision: 1, lastStatus: 'Successful' };
      this.code.set(name, state);
    }
    return state;
  }

  /** Completes an update whose time has come: Successful with the new code, or Failed with the old. */
  private settle(name: string): FunctionCode {
    const state = this.state(name);
    const pending = state.pending;
    if (!pending || this.now() < pending.completesAt) return state;
    state.pending = undefined;
    state.revision += 1;
    if (pending.failure) {
      state.lastStatus = 'Failed';
      state.lastReason = pending.failure;
      this.lambda.setVersion(name, '$LATEST', { codeSha256: pending.previousSha256, lastUpdateStatus: 'Failed' });
    } else {
      state.lastStatus = 'Successful';
      state.lastReason = undefined;
      this.lambda.setVersion(name, '$LATEST', { codeSha256: pending.codeSha256, lastUpdateStatus: 'Successful' });
    }
    return state;
  }

  private revisionId(name: string): string {
    return `code-rev-${name}-${String(this.state(name).revision).padStart(4, '0')}`;
  }
}
