/**
 * `npm start` listens on its API port and nothing else: no store endpoint, no other TCP port and no
 * Unix socket anyone on the machine could reach. The records are in jobs.db (0600, in the 0700 data
 * directory), which `npm run token` opens directly while the server runs.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startServer, type LocalServerProcess } from '../helpers/local-server.ts';
import { tokenCommand } from '../helpers/token-command.ts';

/** The socket inodes a process has open (/proc/<pid>/fd links of the form socket:[inode]). */
function socketInodesOf(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match?.[1]) inodes.add(match[1]);
    } catch {
      // Closed meanwhile.
    }
  }
  return inodes;
}

/** TCP sockets in LISTEN state (0A), as "address:port" (hex, as the kernel writes them) by inode. */
function listeningTcpSockets(): Map<string, string> {
  const listening = new Map<string, string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] === '0A' && fields[1] && fields[9]) listening.set(fields[9], fields[1]);
    }
  }
  return listening;
}

/** Unix sockets that accept connections (flag __SO_ACCEPTCON, 0x10000), by inode, with their path. */
function listeningUnixSockets(): Map<string, string> {
  const listening = new Map<string, string>();
  for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[3] && (Number.parseInt(fields[3], 16) & 0x10000) !== 0 && fields[6]) listening.set(fields[6], fields[7] ?? '(unnamed)');
  }
  return listening;
}

describe('what the running server listens on', { skip: process.platform !== 'linux' && 'reads /proc (Linux only)' }, () => {
  let server: LocalServerProcess;

  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server.stop();
  });

  it('is its API port alone: one TCP listener, on 127.0.0.1 at the port of its URL, and no Unix socket', () => {
    // Prepare
    const apiPort = Number(new URL(server.url).port).toString(16).toUpperCase().padStart(4, '0');

    // Act
    const ours = socketInodesOf(server.pid);
    const tcp = [...listeningTcpSockets()].filter(([inode]) => ours.has(inode)).map(([, address]) => address);
    const unix = [...listeningUnixSockets()].filter(([inode]) => ours.has(inode)).map(([, path]) => path);

    // Assess
    assert.deepEqual(tcp, [`0100007F:${apiPort}`], 'one listener: 127.0.0.1 on the API port');
    assert.deepEqual(unix, []);
  });

  it('keeps no store endpoint file or store secret in the data directory, and its jobs.db is 0600', () => {
    // Assess
    assert.equal(existsSync(join(server.dataDir, 'dynamodb-endpoint')), false);
    assert.equal(existsSync(join(server.dataDir, 'db')), false);
    assert.ok(existsSync(join(server.dataDir, 'jobs.db')));
  });

  it('lets npm run token create and list tokens in jobs.db while it runs, and takes a new token at once', async () => {
    // Act
    const created = await tokenCommand(server.dataDir, ['create', '--name', 'while-running', '--profiles', 'default']);
    const listed = await tokenCommand(server.dataDir, ['list', '--json']);

    // Assess
    assert.equal(created.code, 0, created.stderr);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal((await server.request('GET', '/jobs', { token: created.stdout.trim() })).status, 200);
    assert.ok((JSON.parse(listed.stdout) as { name: string }[]).some((token) => token.name === 'while-running'), listed.stdout);
  });
});
