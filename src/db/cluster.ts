// The embedded PostgreSQL cluster under $NEXUS_HOME/pg: initdb on first use,
// start on the configured or a free port, stop cleanly. PostgreSQL refuses to
// run as root, so when we are root every server binary runs as an
// unprivileged OS user (NEXUS_PG_OS_USER, default `nobody`) who owns the
// cluster's folder.

import { spawn, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { NexusError, EXIT_USAGE } from '../core/errors.ts';
import type { PgBinaries } from './binaries.ts';

export interface ClusterOptions {
  /** Folder of the cluster ($NEXUS_HOME/pg). */
  dir: string;
  bin: PgBinaries;
  /** 0 = reuse the last port if free, else any free port. */
  port: number;
  /** OS user that runs the server when this process is root. */
  osUser: string;
  /** Throwaway clusters (tests, demos) skip fsync for speed. */
  durable?: boolean;
  superuser: { user: string; password: string };
  /** More postgresql.conf lines for nexus.conf (e.g. WAL archiving, recovery for a drill). */
  extraConf?: readonly string[];
}

export interface ClusterStatus {
  initialised: boolean;
  running: boolean;
  port?: number;
  pid?: number;
}

interface RunAs {
  uid: number;
  gid: number;
}

export class EmbeddedCluster {
  readonly dataDir: string;
  readonly logFile: string;
  private readonly stateFile: string;
  private readonly runAs: RunAs | undefined;
  private readonly opts: ClusterOptions;

  constructor(opts: ClusterOptions) {
    this.opts = opts;
    this.dataDir = path.join(opts.dir, 'data');
    this.logFile = path.join(opts.dir, 'postgres.log');
    this.stateFile = path.join(opts.dir, 'cluster.json');
    this.runAs = process.getuid?.() === 0 ? lookupUser(opts.osUser) : undefined;
  }

  get binaries(): PgBinaries {
    return this.opts.bin;
  }

  isInitialised(): boolean {
    return existsSync(path.join(this.dataDir, 'PG_VERSION'));
  }

  /** initdb if there is no cluster yet. */
  async init(): Promise<boolean> {
    if (this.isInitialised()) {
      const major = Number(readFileSync(path.join(this.dataDir, 'PG_VERSION'), 'utf8').trim());
      if (major !== this.opts.bin.major) {
        throw new NexusError(
          'pg_version_mismatch',
          `The cluster in ${this.dataDir} was made by PostgreSQL ${major} but the binaries found are ${this.opts.bin.major} (${this.opts.bin.binDir}); set NEXUS_PG_BIN to a PostgreSQL ${major} bin directory.`,
          { exitCode: EXIT_USAGE },
        );
      }
      return false;
    }
    mkdirSync(path.dirname(this.opts.dir), { recursive: true, mode: 0o711 });
    mkdirSync(this.opts.dir, { recursive: true, mode: 0o700 });
    this.giveToServerUser(this.opts.dir);
    this.checkReachable();
    const pwfile = path.join(this.opts.dir, '.pwfile');
    writeFileSync(pwfile, this.opts.superuser.password + '\n', { mode: 0o600 });
    this.giveToServerUser(pwfile);
    try {
      const args = ['-D', this.dataDir, '-U', this.opts.superuser.user, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--locale=C'];
      if (this.opts.durable === false) args.push('--no-sync');
      await this.run('initdb', args);
    } finally {
      rmSync(pwfile, { force: true });
    }
    const conf = path.join(this.dataDir, 'postgresql.conf');
    writeFileSync(conf, readFileSync(conf, 'utf8') + "\n# Managed by nexus: see nexus.conf\ninclude_if_exists = 'nexus.conf'\n");
    return true;
  }

  async status(): Promise<ClusterStatus> {
    if (!this.isInitialised()) return { initialised: false, running: false };
    const code = await this.run('pg_ctl', ['status', '-D', this.dataDir], { allowFail: true });
    if (code !== 0) return { initialised: true, running: false };
    const pidLines = readFileSync(path.join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n');
    return { initialised: true, running: true, pid: Number(pidLines[0]), port: Number(pidLines[3]) };
  }

  /** Starts the server (initialising it first if needed); returns its port. */
  async start(): Promise<number> {
    await this.init();
    const st = await this.status();
    if (st.running && st.port) return st.port;
    const port = await this.choosePort();
    this.writeConf(port);
    const code = await this.run('pg_ctl', ['start', '-D', this.dataDir, '-l', this.logFile, '-w', '-t', '120'], { allowFail: true });
    if (code !== 0) {
      throw new NexusError('pg_start_failed', `PostgreSQL did not start on port ${port}; its log is ${this.logFile}:\n${tail(this.logFile)}`);
    }
    writeFileSync(this.stateFile, JSON.stringify({ port, binDir: this.opts.bin.binDir, major: this.opts.bin.major }, null, 2) + '\n');
    return port;
  }

  async stop(): Promise<boolean> {
    const st = await this.status();
    if (!st.running) return false;
    await this.run('pg_ctl', ['stop', '-D', this.dataDir, '-m', 'fast', '-w', '-t', '60']);
    return true;
  }

  private async choosePort(): Promise<number> {
    if (this.opts.port !== 0) {
      if (!(await portFree(this.opts.port))) {
        throw new NexusError(
          'port_in_use',
          `Port ${this.opts.port} on 127.0.0.1 is already in use; set NEXUS_PG_PORT to a free port (or 0 to pick one).`,
          { exitCode: EXIT_USAGE },
        );
      }
      return this.opts.port;
    }
    const last = existsSync(this.stateFile) ? Number(JSON.parse(readFileSync(this.stateFile, 'utf8')).port) : 0;
    if (last && (await portFree(last))) return last;
    return freePort();
  }

  private writeConf(port: number): void {
    const lines = [
      '# Written by nexus at every start; edit NEXUS_* settings instead.',
      `port = ${port}`,
      "listen_addresses = '127.0.0.1'",
      "unix_socket_directories = ''",
      "password_encryption = 'scram-sha-256'",
      'max_connections = 200',
    ];
    if (this.opts.durable === false) lines.push('fsync = off', 'synchronous_commit = off', 'full_page_writes = off');
    lines.push(...(this.opts.extraConf ?? []));
    const file = path.join(this.dataDir, 'nexus.conf');
    writeFileSync(file, lines.join('\n') + '\n');
    this.giveToServerUser(file);
  }

  private giveToServerUser(file: string): void {
    if (this.runAs) chownSync(file, this.runAs.uid, this.runAs.gid);
  }

  /** The server user must be able to walk to the cluster folder. */
  private checkReachable(): void {
    if (!this.runAs) return;
    try {
      execFileSync('/usr/bin/test', ['-w', this.opts.dir], { uid: this.runAs.uid, gid: this.runAs.gid });
    } catch {
      throw new NexusError(
        'pg_dir_unreachable',
        `PostgreSQL runs as OS user ${this.opts.osUser}, who cannot reach ${this.opts.dir}; put NEXUS_HOME where that user can traverse every parent folder, or set NEXUS_PG_OS_USER.`,
        { exitCode: EXIT_USAGE },
      );
    }
  }

  private run(tool: string, args: string[], o: { allowFail?: boolean } = {}): Promise<number> {
    const exe = path.join(this.opts.bin.binDir, tool);
    return new Promise((resolve, reject) => {
      const child = spawn(exe, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        cwd: this.opts.dir,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', TZ: 'UTC' },
        ...(this.runAs ?? {}),
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        if (code === 0 || o.allowFail) resolve(code ?? 1);
        else reject(new NexusError('pg_command_failed', `${tool} ${args[0] ?? ''} failed (exit ${code}):\n${output.trim()}`));
      });
    });
  }
}

function lookupUser(name: string): RunAs {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new NexusError('invalid_setting', `NEXUS_PG_OS_USER: no OS user "${name}" exists; it accepts an existing unprivileged user`, {
      exitCode: EXIT_USAGE,
    });
  }
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}
