/**
 * The EC2 network resolver: the public IP a user connects to comes from the task's network
 * interface, a private subnet has none, and an interface already deleted (the task is stopping)
 * leaves what the task's attachment reported. Responses follow DescribeNetworkInterfaces' real shape
 * for a Fargate task's interface.
 */
import { beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DescribeNetworkInterfacesCommand,
  EC2Client,
  EC2ServiceException,
  type DescribeNetworkInterfacesCommandOutput,
  type NetworkInterface,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { Ec2NetworkResolver } from '#lib/adapters/aws/ec2-network.ts';

const ENI_ID = 'eni-0ba0ed95e5ad11f24';
const PRIVATE_IP = '10.0.1.163';
const PUBLIC_IP = '203.0.113.25';

/** A Fargate task's interface as DescribeNetworkInterfaces reports it: requester-managed, described by its ECS attachment. */
function fargateInterface(overrides: Partial<NetworkInterface> = {}): NetworkInterface {
  return {
    Attachment: {
      AttachTime: new Date('2030-01-01T00:00:04.000Z'),
      AttachmentId: 'ela-attach-0f1e2d3c4b5a69788',
      DeleteOnTermination: false,
      DeviceIndex: 1,
      NetworkCardIndex: 0,
      InstanceOwnerId: 'amazon-aws',
      Status: 'attached',
    },
    AvailabilityZone: 'eu-west-1a',
    Description: 'arn:aws:ecs:eu-west-1:123456789012:attachment/14187ccb-7643-436c-aa3e-40186ac3d6a7',
    Groups: [{ GroupName: 'fargate-jobs-test-tasks', GroupId: 'sg-0a1b2c3d4e5f60718' }],
    InterfaceType: 'interface',
    Ipv6Addresses: [],
    MacAddress: '0e:2e:35:d2:59:4f',
    NetworkInterfaceId: ENI_ID,
    OwnerId: '123456789012',
    PrivateDnsName: 'ip-10-0-1-163.eu-west-1.compute.internal',
    PrivateIpAddress: PRIVATE_IP,
    PrivateIpAddresses: [{ Primary: true, PrivateDnsName: 'ip-10-0-1-163.eu-west-1.compute.internal', PrivateIpAddress: PRIVATE_IP }],
    RequesterId: '578734482556',
    RequesterManaged: true,
    SourceDestCheck: true,
    Status: 'in-use',
    SubnetId: 'subnet-07ed9813fb2c11702',
    TagSet: [],
    VpcId: 'vpc-0c1d2e3f4a5b6c7d8',
    ...overrides,
  };
}

/** The same interface in a public subnet with assignPublicIp=ENABLED: EC2 associates an Amazon-owned address. */
function publicFargateInterface(): NetworkInterface {
  const association = {
    IpOwnerId: 'amazon',
    PublicDnsName: 'ec2-203-0-113-25.eu-west-1.compute.amazonaws.com',
    PublicIp: PUBLIC_IP,
  };
  return fargateInterface({
    Association: association,
    PrivateIpAddresses: [
      { Association: association, Primary: true, PrivateDnsName: 'ip-10-0-1-163.eu-west-1.compute.internal', PrivateIpAddress: PRIVATE_IP },
    ],
  });
}

function describeResponse(networkInterfaces: NetworkInterface[]): DescribeNetworkInterfacesCommandOutput {
  return { $metadata: { httpStatusCode: 200 }, NetworkInterfaces: networkInterfaces };
}

/** What EC2's query protocol gives the SDK for an interface that no longer exists. */
function eniNotFound(eniId: string): EC2ServiceException {
  return new EC2ServiceException({
    name: 'InvalidNetworkInterfaceID.NotFound',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
    message: `The networkInterface ID '${eniId}' does not exist`,
  });
}

describe('Ec2NetworkResolver', () => {
  const ec2Mock = mockClient(EC2Client);
  const resolver = new Ec2NetworkResolver({ client: new EC2Client({ region: 'eu-west-1' }) });

  beforeEach(() => {
    ec2Mock.reset();
  });

  it('returns the public and private IP of a task interface with a public IP, asking EC2 for that interface only', async () => {
    // Prepare
    ec2Mock.on(DescribeNetworkInterfacesCommand).resolves(describeResponse([publicFargateInterface()]));

    // Act
    const network = await resolver.resolve(ENI_ID, PRIVATE_IP);

    // Assess
    assert.deepEqual(network, { privateIp: PRIVATE_IP, publicIp: PUBLIC_IP });
    assert.deepEqual(
      ec2Mock.commandCalls(DescribeNetworkInterfacesCommand).map((call) => call.args[0].input),
      [{ NetworkInterfaceIds: [ENI_ID] }],
    );
  });

  it('reports publicIp null for an interface in a private subnet (no association)', async () => {
    // Prepare
    ec2Mock.on(DescribeNetworkInterfacesCommand).resolves(describeResponse([fargateInterface()]));

    // Act
    const network = await resolver.resolve(ENI_ID, PRIVATE_IP);

    // Assess
    assert.deepEqual(network, { privateIp: PRIVATE_IP, publicIp: null });
  });

  it("prefers EC2's private IP, and falls back to the attachment's when EC2 has none", async () => {
    // Prepare
    ec2Mock
      .on(DescribeNetworkInterfacesCommand)
      .resolvesOnce(describeResponse([fargateInterface({ PrivateIpAddress: '10.0.1.200' })]))
      .resolvesOnce(describeResponse([fargateInterface({ PrivateIpAddress: undefined })]));

    // Act
    const fromEc2 = await resolver.resolve(ENI_ID, PRIVATE_IP);
    const fromAttachment = await resolver.resolve(ENI_ID, PRIVATE_IP);

    // Assess
    assert.deepEqual(fromEc2, { privateIp: '10.0.1.200', publicIp: null });
    assert.deepEqual(fromAttachment, { privateIp: PRIVATE_IP, publicIp: null });
  });

  it("is no error when the interface is already gone: the attachment's private IP stands, with no public IP", async () => {
    // Prepare
    ec2Mock.on(DescribeNetworkInterfacesCommand).rejects(eniNotFound(ENI_ID));

    // Act
    const network = await resolver.resolve(ENI_ID, PRIVATE_IP);

    // Assess
    assert.deepEqual(network, { privateIp: PRIVATE_IP, publicIp: null });
  });

  it('reports no private IP for a gone interface whose attachment gave none', async () => {
    // Prepare
    ec2Mock.on(DescribeNetworkInterfacesCommand).rejects(eniNotFound(ENI_ID));

    // Act
    const network = await resolver.resolve(ENI_ID);

    // Assess
    assert.deepEqual(network, { publicIp: null });
  });

  it('passes on any other EC2 error, such as missing permissions', async () => {
    // Prepare
    const denied = new EC2ServiceException({
      name: 'UnauthorizedOperation',
      $fault: 'client',
      $metadata: { httpStatusCode: 403 },
      message: 'You are not authorized to perform this operation.',
    });
    ec2Mock.on(DescribeNetworkInterfacesCommand).rejects(denied);

    // Act
    const resolving = resolver.resolve(ENI_ID, PRIVATE_IP);

    // Assess
    await assert.rejects(resolving, { name: 'UnauthorizedOperation' });
  });
});
