/**
 * GET /profiles: the profiles a token may use, by name, each with what a job of it may ask for and
 * nothing of how it runs on AWS.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { awsProfiles, localProfiles } from '#config/profiles.ts';
import { DEFAULT_SECRET_PATTERNS } from '#lib/domain/secrets.ts';
import { profilesUsableBy } from '#lib/domain/caller.ts';
import { silentLogger } from '#lib/domain/logger.ts';
import type { Profile } from '#lib/domain/profile.ts';
import { listProfilesHandler } from '#lib/http/list-profiles.ts';
import { profileDocument } from '#lib/http/profile-document.ts';

const STAGE = {
  cluster: 'cluster-secretive',
  subnets: ['subnet-0a1b2c3d'],
  securityGroups: ['sg-0e1f2a3b'],
  logGroup: '/fargate-jobs/hidden/tasks',
  taskDefinitionPrefix: 'fargate-jobs-hidden',
  capacity: 'spot-first' as const,
};

const ZED: Profile = {
  name: 'zed',
  description: 'Reports, with a webhook of its own',
  commands: [{ patterns: ['report', '[a-z]+'] }],
  shell: false,
  envNames: ['REPORT_DATE', 'API_TOKEN'],
  timeoutSeconds: { default: 30, max: 120 },
  publicIp: 'never',
  secretEnvPatterns: ['API_*'],
  callbackUrl: 'https://hooks.example.com/jobs?key=hook-credential',
  exec: false,
};

function profileMap(profiles: readonly Profile[]): ReadonlyMap<string, Profile> {
  return new Map(profiles.map((profile) => [profile.name, profile]));
}

function anEvent(scope: string): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'GET /profiles',
    rawPath: '/profiles',
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    requestContext: { requestId: 'request-1', http: { method: 'GET' }, authorizer: { lambda: { caller: 'alice', profiles: scope } } },
  } as unknown as APIGatewayProxyEventV2;
}

async function profilesFor(profiles: readonly Profile[], scope: string): Promise<{ status: number; body: { profiles: Array<{ name: string }> } }> {
  const response = await listProfilesHandler({ profiles: profileMap(profiles), logger: silentLogger })(anEvent(scope), {} as Context);
  return { status: response.statusCode, body: JSON.parse(response.body ?? 'null') as { profiles: Array<{ name: string }> } };
}

describe('GET /profiles', () => {
  it('lists every profile, by name, to a token for every profile, and only those in its scope to another', async () => {
    // Act
    const everything = await profilesFor([ZED, ...awsProfiles(STAGE)], '*');
    const scoped = await profilesFor([ZED, ...awsProfiles(STAGE)], 'ssh,zed,nonexistent');

    // Assess
    assert.equal(everything.status, 200);
    assert.deepEqual(everything.body.profiles.map((profile) => profile.name), ['default', 'ssh', 'zed']);
    assert.deepEqual(scoped.body.profiles.map((profile) => profile.name), ['ssh', 'zed']);
  });

  it("shows what a job may ask for, with the profile's secret patterns or the defaults", () => {
    // Act
    const [local, echo] = localProfiles.map(profileDocument);

    // Assess
    assert.deepEqual(echo, {
      name: 'echo',
      description: localProfiles[1]!.description,
      commands: [{ prefix: ['echo'] }],
      shell: false,
      envNames: ['GREETING'],
      secretEnvPatterns: [...DEFAULT_SECRET_PATTERNS],
      timeoutSeconds: { default: 10, max: 60 },
      publicIp: 'never',
      exec: false,
    });
    assert.equal(local?.commands, 'any');
    assert.equal(local?.exec, true);
    assert.deepEqual(profileDocument(ZED).secretEnvPatterns, ['API_*']);
  });

  it('shows the task size and the ssh port and user, never where the tasks run or their webhook (nor the commands run on their behalf: no field of theirs)', () => {
    // Act
    const documents = [...awsProfiles(STAGE), ZED].map(profileDocument);
    const text = JSON.stringify(documents);

    // Assess
    assert.deepEqual(documents[0]?.taskSize, { cpu: 256, memory: 512, maxCpu: 4096, maxMemory: 16_384 });
    assert.deepEqual(documents[1]?.interactive, { port: 2222, user: 'jobs' });
    assert.deepEqual(documents.slice(0, 2).map((document) => [document.capacity, document.stopTimeout]), [
      ['spot-first', 120],
      ['spot-first', 30],
    ]);
    for (const hidden of ['cluster-secretive', 'subnet-0a1b2c3d', 'sg-0e1f2a3b', '/fargate-jobs/hidden/tasks', 'fargate-jobs-hidden', 'sshd', 'FARGATE_SPOT', 'PUBLIC_KEY', 'hook-credential']) {
      assert.doesNotMatch(text, new RegExp(hidden.replaceAll('/', '\\/')), `${hidden} is shown`);
    }
    for (const document of documents) {
      assert.deepEqual(Object.keys(document).filter((key) => !['name', 'description', 'commands', 'shell', 'envNames', 'secretEnvPatterns', 'timeoutSeconds', 'publicIp', 'taskSize', 'exec', 'capacity', 'stopTimeout', 'interactive'].includes(key)), []);
    }
  });

  it('names no profile a token may not use, not even one that does not exist', () => {
    // Act
    const usable = profilesUsableBy({ name: 'ci', profiles: ['ghost', 'echo'] }, profileMap(localProfiles));

    // Assess
    assert.deepEqual(usable.map((profile) => profile.name), ['echo']);
  });
});
