/** Invoker over the AWS SDK v3 Lambda client: synchronous Invoke of one version, for probes. */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { InvocationResult, Invoker } from '../ports.js';
import { mapAwsErrors } from './errors.js';

export class AwsInvoker implements Invoker {
  constructor(private readonly client: LambdaClient) {}

  async invoke(functionName: string, qualifier: string | undefined, payload: unknown): Promise<InvocationResult> {
    const out = await mapAwsErrors(`Invoke ${functionName}${qualifier ? `:${qualifier}` : ''}`, () =>
      this.client.send(
        new InvokeCommand({
          FunctionName: functionName,
          Qualifier: qualifier,
          InvocationType: 'RequestResponse',
          Payload: new TextEncoder().encode(JSON.stringify(payload ?? {})),
        }),
      ),
    );
    return {
      statusCode: out.StatusCode ?? 0,
      functionError: out.FunctionError,
      payload: out.Payload ? new TextDecoder().decode(out.Payload) : '',
    };
  }
}
