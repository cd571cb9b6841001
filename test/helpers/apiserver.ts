// A kube-apiserver of a test's own, in front of the environment's etcd: the same binary,
// flags and certificates as the environment's API server, on a port of its own. The
// environment's controllers and scheduler act on everything it stores (they share etcd), so
// Deployments roll out as usual; but a test can kill and restart it without touching the
// server that every other test uses.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { eventually, freePort, killProcess, type TestEnv } from './testenv.ts';

/** The command line of the process that serves on `port` (Linux: from /proc). */
function commandLineServing(port: string): string[] {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let args: string[];
    try {
      args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    } catch {
      continue;
    }
    if (args[0]?.endsWith('kube-apiserver') && args.includes(`--secure-port=${port}`)) return args;
  }
  throw new Error(`no kube-apiserver serves port ${port}`);
}

export class OwnApiServer {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'apiserver-'));
  /** A kubeconfig that reaches this server with the environment's admin credentials. */
  readonly kubeconfig = path.join(this.dir, 'kubeconfig');
  port = 0;
  private args: string[] = [];
  private child: ChildProcess | undefined;

  private readonly env: TestEnv;

  constructor(env: TestEnv) {
    this.env = env;
  }

  async start(): Promise<void> {
    const c = this.child;
    if (c && c.exitCode === null && c.signalCode === null) return;
    if (!this.port) {
      const config = readFileSync(this.env.KUBECONFIG, 'utf8');
      const shared = /server: https:\/\/127\.0\.0\.1:(\d+)/.exec(config)?.[1];
      if (!shared) throw new Error(`no loopback server in ${this.env.KUBECONFIG}`);
      this.port = await freePort();
      this.args = commandLineServing(shared).map((a) => (a === `--secure-port=${shared}` ? `--secure-port=${this.port}` : a));
      writeFileSync(this.kubeconfig, config.replace(`server: https://127.0.0.1:${shared}`, `server: https://127.0.0.1:${this.port}`));
    }
    const child = spawn(this.args[0]!, this.args.slice(1), { stdio: 'ignore' });
    this.child = child;
    // Never outlive the test process, however it ends.
    process.once('exit', () => child.kill('SIGKILL'));
    await eventually(`own kube-apiserver on port ${this.port} ready`, () => this.ready(), 60_000);
  }

  private ready(): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const s = net.connect(this.port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    }).then((open) => open && this.readyz());
  }

  private readyz(): boolean {
    const r = spawnSync(this.env.ROLLGATE_KUBECTL, ['--kubeconfig', this.kubeconfig, 'get', '--raw', '/readyz'], { encoding: 'utf8' });
    return r.status === 0 && r.stdout.trim() === 'ok';
  }

  /** SIGKILL: as if the server died. */
  kill(): Promise<void> {
    return killProcess(this.child);
  }
}
