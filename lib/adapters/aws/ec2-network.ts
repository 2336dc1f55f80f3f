/**
 * Turns a task's network interface into the addresses a user connects to. ECS reports only the
 * private IPv4 address in the task's attachment; the public IP (assignPublicIp=ENABLED) is known
 * to EC2 alone.
 */
import { DescribeNetworkInterfacesCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { JobNetwork } from '#lib/domain/job.ts';

/** What EC2 answers for an interface that no longer exists, as once a task has stopped. */
const ENI_NOT_FOUND = 'InvalidNetworkInterfaceID.NotFound';

export class Ec2NetworkResolver {
  readonly #client: EC2Client;

  constructor(options: { client: EC2Client }) {
    this.#client = options.client;
  }

  /**
   * The private and public IP of `eniId`; publicIp is null in a private subnet. An interface that is
   * already gone is no error: what the task's attachment said stands, with no public IP.
   */
  async resolve(eniId: string, privateIpFromAttachment?: string): Promise<JobNetwork> {
    const fromAttachment: JobNetwork = {
      ...(privateIpFromAttachment ? { privateIp: privateIpFromAttachment } : {}),
      publicIp: null,
    };
    try {
      const { NetworkInterfaces } = await this.#client.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] }));
      const eni = NetworkInterfaces?.[0];
      if (!eni) return fromAttachment;
      const privateIp = eni.PrivateIpAddress ?? privateIpFromAttachment;
      return {
        ...(privateIp ? { privateIp } : {}),
        publicIp: eni.Association?.PublicIp ?? null,
      };
    } catch (error) {
      if (isEniNotFound(error)) return fromAttachment;
      throw error;
    }
  }
}

function isEniNotFound(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { Code?: unknown }).Code;
  return error.name === ENI_NOT_FOUND || code === ENI_NOT_FOUND;
}

/** A resolver with its own client: what the AWS wiring loads on first use. */
export function createEc2NetworkResolver(): Ec2NetworkResolver {
  return new Ec2NetworkResolver({ client: new EC2Client({}) });
}
