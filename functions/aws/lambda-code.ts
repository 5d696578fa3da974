/**
 * Lambda's code control plane for releases over the AWS SDK v3 (CodeRelease): UpdateFunctionCode from
 * one exact S3 object version, GetFunctionConfiguration, PublishVersion conditioned on the code. Every
 * failure is a `core/errors.ts` class.
 */
import {
  GetFunctionConfigurationCommand,
  type LambdaClient,
  paginateListVersionsByFunction,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { DriftError, RejectedError } from '../core/errors.js';
import type { CodeLocation, CodeStatus, CodeUpdate } from '../core/release.js';
import type { CodeRelease } from '../ports.js';
import { mapAwsErrors, toRolloutError } from './errors.js';

/**
 * Lambda answers a PublishVersion whose CodeSha256 differs from `$LATEST` with 400
 * InvalidParameterValueException, "CodeSHA256 (...) is different from current CodeSHA256 in $LATEST".
 */
const CODE_SHA_MISMATCH = /CodeSHA256 .*is different from current CodeSHA256/i;

/** Lambda's code control plane through a `LambdaClient`. */
export class AwsCodeRelease implements CodeRelease {
  constructor(private readonly client: LambdaClient) {}

  /**
   * UpdateFunctionCode from one exact object version, `Publish: false`: the version is published later,
   * by `publishVersion`, once the update succeeded and only with the CodeSha256 this call returns.
   */
  async updateCode(functionName: string, location: CodeLocation): Promise<CodeUpdate> {
    const context = `UpdateFunctionCode ${functionName} from s3://${location.s3Bucket}/${location.s3Key}?versionId=${location.s3ObjectVersion}`;
    if (!location.s3ObjectVersion) {
      // Without a version, Lambda would take whatever object holds the key when it reads it.
      throw new RejectedError(`${context}: refusing to update the code without the S3 object version`);
    }
    const out = await mapAwsErrors(context, () =>
      this.client.send(
        new UpdateFunctionCodeCommand({
          FunctionName: functionName,
          S3Bucket: location.s3Bucket,
          S3Key: location.s3Key,
          S3ObjectVersion: location.s3ObjectVersion,
          Publish: false,
        }),
      ),
    );
    if (!out.CodeSha256) throw new RejectedError(`${context}: Lambda answered without a CodeSha256; nothing could be published safely`);
    return { codeSha256: out.CodeSha256, revisionId: out.RevisionId ?? '' };
  }

  /** GetFunctionConfiguration of `$LATEST`. */
  async getCodeStatus(functionName: string): Promise<CodeStatus> {
    const out = await mapAwsErrors(`GetFunctionConfiguration ${functionName}`, () =>
      this.client.send(new GetFunctionConfigurationCommand({ FunctionName: functionName })),
    );
    const reason = [out.LastUpdateStatusReasonCode, out.LastUpdateStatusReason].filter(Boolean).join(': ');
    return {
      state: out.State ?? 'Unknown',
      lastUpdateStatus: out.LastUpdateStatus ?? 'Unknown',
      ...(reason ? { reason } : {}),
      codeSha256: out.CodeSha256 ?? '',
      revisionId: out.RevisionId ?? '',
    };
  }

  /**
   * PublishVersion with the CodeSha256 (and RevisionId) the release saw, so that code someone else put
   * in `$LATEST` meanwhile is never published by mistake: Lambda refuses, and so does this method, with
   * DriftError (412 on the RevisionId, 400 on the CodeSha256).
   */
  async publishVersion(
    functionName: string,
    request: { readonly codeSha256: string; readonly revisionId?: string | undefined; readonly description: string },
  ): Promise<{ version: string }> {
    const context = `PublishVersion ${functionName} with CodeSha256 ${request.codeSha256}`;
    if (!request.codeSha256) {
      throw new RejectedError(`${context}: refusing to publish without the CodeSha256 of the code to publish`);
    }
    let out;
    try {
      out = await this.client.send(
        new PublishVersionCommand({
          FunctionName: functionName,
          CodeSha256: request.codeSha256,
          ...(request.revisionId ? { RevisionId: request.revisionId } : {}),
          Description: request.description,
        }),
      );
    } catch (error) {
      const message = (error as { message?: unknown }).message;
      if (typeof message === 'string' && CODE_SHA_MISMATCH.test(message)) {
        throw new DriftError(`${context}: $LATEST has other code now (${message}); someone else changed it, nothing was published`, { cause: error });
      }
      throw toRolloutError(error, context);
    }
    if (out.CodeSha256 && out.CodeSha256 !== request.codeSha256) {
      throw new DriftError(`${context}: Lambda published version ${out.Version ?? '?'} with CodeSha256 ${out.CodeSha256}, not ours; it must not be rolled out`);
    }
    if (!out.Version) throw new RejectedError(`${context}: Lambda answered without a version number`);
    return { version: out.Version };
  }

  /** ListVersionsByFunction, every page (50 versions each), for the newest version with our code and description. */
  async findVersion(functionName: string, wanted: { readonly codeSha256: string; readonly description: string }): Promise<string | undefined> {
    let found: number | undefined;
    await mapAwsErrors(`ListVersionsByFunction ${functionName}`, async () => {
      for await (const page of paginateListVersionsByFunction({ client: this.client, pageSize: 50 }, { FunctionName: functionName })) {
        for (const v of page.Versions ?? []) {
          const n = Number(v.Version);
          if (Number.isSafeInteger(n) && v.CodeSha256 === wanted.codeSha256 && (v.Description ?? '') === wanted.description && (found === undefined || n > found)) found = n;
        }
      }
    });
    return found === undefined ? undefined : String(found);
  }
}
