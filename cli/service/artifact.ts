/**
 * The rollout an artifact upload starts: the artifact trigger names its execution after the
 * object's bucket, key and version id (core's `releaseExecutionName`), so the same name, worked
 * out here, finds it. The rollout id is that name too.
 */
import { parseArtifactKey, releaseExecutionName } from '../../functions/core/artifact.js';
import { sha256Hex } from '../../functions/sha256.js';
import { UsageError } from '../exit.js';

export interface ArtifactRollout {
  readonly bucket: string;
  readonly key: string;
  readonly versionId: string;
  readonly functionName: string;
  readonly alias: string;
  /** The execution's name, and the rollout's id. */
  readonly executionName: string;
}

/**
 * The execution an uploaded object version starts. The key's last three parts are the function,
 * the alias and the build; whatever comes before them is the artifacts prefix.
 *
 * @example artifactRollout('s3://artifacts/releases/orders/live/42.zip', 'v1').executionName // 'orders-live-' and 32 hex digits
 */
export function artifactRollout(uri: string, versionId: string | undefined): ArtifactRollout {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) throw new UsageError([`--artifact: must be s3://<bucket>/<key>, e.g. s3://my-artifacts/releases/orders/live/build-42.zip, got ${uri}`]);
  if (versionId === undefined || versionId.trim() === '') {
    throw new UsageError(['--version-id: is required with --artifact: the object version the upload created (aws s3api put-object prints it as VersionId)']);
  }
  const [, bucket = '', key = ''] = m;
  const parts = key.split('/');
  const prefix = parts.length > 3 ? `${parts.slice(0, -3).join('/')}/` : '';
  const parsed = parseArtifactKey(key, prefix);
  if (!parsed.ok) throw new UsageError([`--artifact: ${parsed.reason}`]);
  const args = { bucket, key, versionId, functionName: parsed.functionName, alias: parsed.alias };
  return { ...args, executionName: releaseExecutionName(args, sha256Hex) };
}
