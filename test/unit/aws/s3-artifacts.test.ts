import 'aws-sdk-client-mock-vitest/extend';
import { GetObjectTaggingCommand, HeadObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3ArtifactReader } from '../../../functions/aws/s3-artifacts.js';
import { ErrorName } from '../../../functions/core/errors.js';

const s3Mock = mockClient(S3Client);

beforeEach(() => {
  s3Mock.reset();
});

describe('S3ArtifactReader', () => {
  it('reads tags and metadata at the exact version id', async () => {
    s3Mock.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: 'rollout-strategy', Value: 'AllAtOnce' }, { Key: 'team', Value: 'orders' }] });
    s3Mock.on(HeadObjectCommand).resolves({ Metadata: { 'rollout-description': 'hotfix', 'Mixed-Case': 'x' } });

    const out = await new S3ArtifactReader(new S3Client({})).readArtifact('artifacts', 'releases/orders/live/42.zip', 'v1');

    expect(s3Mock.commandCalls(GetObjectTaggingCommand)[0]?.args[0].input).toStrictEqual({ Bucket: 'artifacts', Key: 'releases/orders/live/42.zip', VersionId: 'v1' });
    expect(s3Mock.commandCalls(HeadObjectCommand)[0]?.args[0].input).toStrictEqual({ Bucket: 'artifacts', Key: 'releases/orders/live/42.zip', VersionId: 'v1' });
    expect(out).toEqual({ tags: { 'rollout-strategy': 'AllAtOnce', team: 'orders' }, metadata: { 'rollout-description': 'hotfix', 'mixed-case': 'x' } });
  });

  it('maps a missing object version to NotFoundError', async () => {
    s3Mock.on(GetObjectTaggingCommand).rejects(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } }));
    s3Mock.on(HeadObjectCommand).resolves({});
    await expect(new S3ArtifactReader(new S3Client({})).readArtifact('artifacts', 'k', 'v1')).rejects.toMatchObject({ name: ErrorName.NotFound });
  });
});
