// A Prometheus of a test's own (the Debian binary), so a test can stop and restart it
// without touching the shared environment.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eventually, freePort, killProcess } from './testenv.ts';

export class OwnPrometheus {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'prom-'));
  readonly targetsDir = path.join(this.dir, 'targets');
  port = 0;
  private child: ChildProcess | undefined;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (!this.port) {
      this.port = await freePort();
      mkdirSync(this.targetsDir, { recursive: true });
      writeFileSync(
        path.join(this.dir, 'prometheus.yml'),
        `global: { scrape_interval: 1s, evaluation_interval: 1s }\nscrape_configs:\n  - job_name: sample\n    file_sd_configs: [{ files: ['${this.targetsDir}/*.json'], refresh_interval: 1s }]\n`,
      );
    }
    this.child = spawn('prometheus', [`--config.file=${path.join(this.dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(this.dir, 'data')}`, `--web.listen-address=127.0.0.1:${this.port}`], { stdio: 'ignore' });
    await eventually('own Prometheus ready', () => fetch(`${this.url}/-/ready`).then((r) => r.ok, () => false), 30_000);
  }

  /** Stops it (SIGKILL: as if the server died), keeping its data for a restart. */
  kill(): Promise<void> {
    return killProcess(this.child);
  }
}
