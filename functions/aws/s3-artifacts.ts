/** A release artifact's object tags and metadata in S3 over the AWS SDK v3 (ArtifactReader). Failures are `core/errors.ts` classes. */
import { GetObjectTaggingCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ArtifactReader } from '../ports.js';
import { mapAwsErrors } from './errors.js';

/** An artifact's tags and user-defined metadata through an `S3Client`, at one exact object version. */
export class S3ArtifactReader implements ArtifactReader {
  constructor(private readonly client: S3Client) {}

  /** GetObjectTagging and HeadObject with the VersionId; metadata keys in lower case, without `x-amz-meta-`. */
  async readArtifact(bucket: string, key: string, versionId: string) {
    const where = `s3://${bucket}/${key}?versionId=${versionId}`;
    const [tagging, head] = await Promise.all([
      mapAwsErrors(`GetObjectTagging ${where}`, () =>
        this.client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key, VersionId: versionId })),
      ),
      mapAwsErrors(`HeadObject ${where}`, () =>
        this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId })),
      ),
    ]);
    const tags: Record<string, string> = {};
    for (const tag of tagging.TagSet ?? []) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
    const metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(head.Metadata ?? {})) metadata[name.toLowerCase()] = value;
    return { tags, metadata };
  }
}
