/**
 * An emulated Greengrass core device, faithful to what the nucleus does with a deployment (see
 * ../shared/notes/greengrass.md): it resolves the target components and their dependencies from published recipes,
 * picks the first manifest matching its platform, downloads every artifact from the (emulated) store and checks its
 * digest, lays them out as `packages/artifacts/<component>/<version>/` and `packages/artifacts-unarchived/...`,
 * unzips without Unix modes or symlinks, applies each artifact's `Permission`, makes the artifact folders read-only,
 * resolves every recipe variable (an unresolvable one fails the deployment, naming it), and runs the lifecycle with
 * `sh -c` as an unprivileged user. On an x86-64 host an `aarch64` device runs under qemu user emulation with a
 * Raspberry Pi 4's `/proc/cpuinfo` bind-mounted inside its own mount namespace and `QEMU_CPU=cortex-a72`.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { PublishedStack, PublishedComponent, Recipe, RecipeManifest } from './cloud-assembly';

/** A Raspberry Pi 4 (Cortex-A72) as its kernel describes it: what onnxruntime's CPU detection reads. */
export const PI4_CPUINFO = [0, 1, 2, 3].map((n) => [
  `processor\t: ${n}`,
  'BogoMIPS\t: 108.00',
  'Features\t: fp asimd evtstrm crc32 cpuid',
  'CPU implementer\t: 0x41',
  'CPU architecture: 8',
  'CPU variant\t: 0x0',
  'CPU part\t: 0xd08',
  'CPU revision\t: 3',
  '',
].join('\n')).join('\n') + 'Hardware\t: BCM2835\nRevision\t: c03111\nModel\t\t: Raspberry Pi 4 Model B Rev 1.1\n';

/** Why arm64 emulation cannot run here, or undefined when it can. */
export function arm64EmulationProblem(): string | undefined {
  if (process.platform !== 'linux') return `arm64 emulation needs Linux, this is ${process.platform}`;
  if (process.arch === 'arm64') return undefined;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'the emulated Pi needs root (unshare -m, a bind mount over /proc/cpuinfo, setpriv)';
  }
  const entry = '/proc/sys/fs/binfmt_misc/qemu-aarch64';
  if (!fs.existsSync(entry)) return `${entry} is missing: binfmt_misc is not mounted or qemu-aarch64 is not registered`;
  if (!fs.readFileSync(entry, 'utf8').startsWith('enabled')) return `${entry} is disabled`;
  if (!fs.existsSync('/lib/ld-linux-aarch64.so.1')) return 'the arm64 C library is missing (libc6:arm64)';
  if (!fs.existsSync('/usr/lib/aarch64-linux-gnu/libstdc++.so.6')) return 'the arm64 C++ library is missing (libstdc++6:arm64)';
  for (const tool of ['/usr/bin/unshare', '/usr/bin/setpriv']) {
    if (!fs.existsSync(tool)) return `${tool} is missing (util-linux)`;
  }
  return undefined;
}

export interface EmulatedDeviceOptions {
  /** The device's root folder (like /greengrass/v2). Created if missing. */
  readonly root: string;
  /** The nucleus's `architecture`: `aarch64` (a 64-bit Pi) or `amd64`. */
  readonly architecture: 'aarch64' | 'amd64';
  /** The core device's thing name. @default 'emulated-pi' */
  readonly thingName?: string;
  /** The CPU qemu emulates for an aarch64 device on x86-64. @default 'cortex-a72' */
  readonly qemuCpu?: string;
}

/** A component version to deploy, with an optional configuration merge (as a deployment's `ConfigurationUpdate`). */
export interface DeploymentTarget {
  readonly name: string;
  readonly version: string;
  readonly merge?: { readonly [key: string]: string };
}

/** What a deployment changed on the device. */
export interface DeploymentResult {
  /** `name@version` of every component version downloaded and installed by this deployment. */
  readonly installed: string[];
  /** `name@version` of every component whose `Run` process this deployment (re)started. */
  readonly started: string[];
}

interface InstalledComponent {
  readonly name: string;
  readonly version: string;
  readonly recipe: Recipe;
  readonly manifest: RecipeManifest;
  config: { [key: string]: unknown };
  process?: ChildProcess;
  exited?: Promise<number | null>;
}

const RUN_UID = 65534;
const RUN_GID = 65534;
const VARIABLE = /(?<!\$)\{([A-Za-z0-9_.-]+):([^}\s]*)\}/g;

export class EmulatedDevice {
  private readonly installed = new Map<string, InstalledComponent>();
  private readonly cpuinfoFile: string;
  private readonly logs = new Map<string, string>();

  constructor(private readonly options: EmulatedDeviceOptions) {
    fs.mkdirSync(options.root, { recursive: true });
    fs.chmodSync(options.root, 0o755);
    for (const dir of ['packages/artifacts', 'packages/artifacts-unarchived', 'work', 'logs']) {
      fs.mkdirSync(path.join(options.root, dir), { recursive: true });
      fs.chmodSync(path.join(options.root, dir), 0o755);
    }
    this.cpuinfoFile = path.join(options.root, 'pi-cpuinfo');
    fs.writeFileSync(this.cpuinfoFile, PI4_CPUINFO, { mode: 0o444 });
  }

  private get emulated(): boolean {
    return this.options.architecture === 'aarch64' && process.arch !== 'arm64';
  }

  /** Everything a component's lifecycle printed so far. */
  public log(name: string): string {
    return this.logs.get(name) ?? '';
  }

  /** The version of a component on the device, if any. */
  public versionOf(name: string): string | undefined {
    return this.installed.get(name)?.version;
  }

  /**
   * Applies a deployment: the targets and, recursively, their dependencies at the versions their recipes require.
   * Components whose version is unchanged are left alone; changed ones are stopped, downloaded, installed (the
   * `Install` step must exit 0) and started (`Run`). Throws `DeploymentFailed`-style errors naming the component.
   */
  public async deploy(store: PublishedStack, targets: readonly DeploymentTarget[]): Promise<DeploymentResult> {
    const wanted = new Map<string, PublishedComponent>();
    const merges = new Map(targets.map((t) => [t.name, t.merge ?? {}]));
    const visit = (name: string, version: string, requiredBy: string): void => {
      const existing = wanted.get(name);
      if (existing) {
        if (existing.version !== version) {
          throw new Error(`deployment conflict: ${requiredBy} needs ${name}@${version} but ${existing.version} is also required`);
        }
        return;
      }
      const published = store.components.find((c) => c.name === name && c.version === version);
      if (!published) throw new Error(`${requiredBy} needs ${name}@${version}, which is not published`);
      wanted.set(name, published);
      for (const [dep, req] of Object.entries(published.recipe.ComponentDependencies ?? {})) {
        const exact = /^=?\s*(\d+\.\d+\.\d+)$/.exec(req.VersionRequirement.trim());
        if (!exact) throw new Error(`${name}: the emulated device only resolves exact version requirements, got '${req.VersionRequirement}' for ${dep}`);
        visit(dep, exact[1], `${name}@${version}`);
      }
    };
    for (const t of targets) visit(t.name, t.version, 'the deployment');

    const order = topologicalOrder(wanted);
    const result: DeploymentResult = { installed: [], started: [] };
    const changed = order.filter((c) => this.installed.get(c.name)?.version !== c.version);
    // Stop dependents first, then install in dependency order, then start.
    for (const c of [...changed].reverse()) await this.stop(c.name);
    for (const c of changed) {
      const previous = this.installed.get(c.name);
      const manifest = this.selectManifest(c);
      const defaults = (c.recipe.ComponentConfiguration?.DefaultConfiguration ?? {}) as { [key: string]: unknown };
      const config = { ...defaults, ...(previous?.config ?? {}), ...(merges.get(c.name) ?? {}) };
      const entry: InstalledComponent = { name: c.name, version: c.version, recipe: c.recipe, manifest, config };
      this.download(entry, store);
      this.installed.set(c.name, entry);
      const install = this.step(entry, 'Install');
      if (install) {
        const code = await this.runToEnd(entry, install.script, install.timeoutSeconds);
        if (code !== 0) {
          // The deployment fails: this version is not kept (a real nucleus would roll the device back).
          if (previous) this.installed.set(c.name, previous);
          else this.installed.delete(c.name);
          throw new Error(`${c.name}@${c.version}: Install exited ${code}; its log:\n${this.log(c.name).slice(-4000)}`);
        }
      }
      result.installed.push(`${c.name}@${c.version}`);
    }
    for (const c of changed) {
      const entry = this.installed.get(c.name)!;
      const run = this.step(entry, 'Run');
      if (run) {
        this.start(entry, run.script);
        result.started.push(`${c.name}@${c.version}`);
      }
    }
    return result;
  }

  /** Stops every running component (SIGTERM to its process group, then waits). */
  public async stopAll(): Promise<void> {
    for (const name of [...this.installed.keys()].reverse()) await this.stop(name);
  }

  private async stop(name: string): Promise<void> {
    const entry = this.installed.get(name);
    if (!entry?.process || !entry.exited) return;
    const pid = entry.process.pid;
    if (pid !== undefined && entry.process.exitCode === null && entry.process.signalCode === null) {
      try { process.kill(-pid, 'SIGTERM'); } catch { /* already gone */ }
      const timer = setTimeout(() => { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } }, 20000);
      await entry.exited;
      clearTimeout(timer);
    }
    entry.process = undefined;
    entry.exited = undefined;
  }

  private selectManifest(c: PublishedComponent): RecipeManifest {
    const device: { [key: string]: string } = { os: 'linux', architecture: this.options.architecture, runtime: 'aws_nucleus_classic' };
    const match = c.recipe.Manifests.find((m) => Object.entries(m.Platform ?? {})
      .every(([k, v]) => v === '*' || device[k] === v));
    if (!match) {
      throw new Error(`${c.name}@${c.version}: no manifest matches platform ${JSON.stringify(device)} `
        + `(manifests: ${c.recipe.Manifests.map((m) => JSON.stringify(m.Platform)).join(', ')})`);
    }
    return match;
  }

  private artifactsPath(name: string, version: string): string {
    return path.join(this.options.root, 'packages', 'artifacts', name, version);
  }

  private decompressedPath(name: string, version: string): string {
    return path.join(this.options.root, 'packages', 'artifacts-unarchived', name, version);
  }

  private workPath(name: string): string {
    return path.join(this.options.root, 'work', name);
  }

  private download(entry: InstalledComponent, store: PublishedStack): void {
    const artifactsDir = this.artifactsPath(entry.name, entry.version);
    const unarchivedDir = this.decompressedPath(entry.name, entry.version);
    for (const dir of [artifactsDir, unarchivedDir]) {
      if (fs.existsSync(dir)) makeWritable(dir);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir, { recursive: true });
    }
    for (const artifact of entry.manifest.Artifacts ?? []) {
      const source = store.objects.get(artifact.Uri);
      if (!source) throw new Error(`${entry.name}@${entry.version}: artifact ${artifact.Uri} is not in the store`);
      const bytes = fs.readFileSync(source);
      if (artifact.Algorithm !== 'SHA-256' || !artifact.Digest) {
        throw new Error(`${entry.name}@${entry.version}: artifact ${artifact.Uri} has no SHA-256 digest`);
      }
      const digest = createHash('sha256').update(bytes).digest('base64');
      if (digest !== artifact.Digest) {
        throw new Error(`${entry.name}@${entry.version}: ArtifactChecksumMismatch for ${artifact.Uri}: recipe ${artifact.Digest}, object ${digest}`);
      }
      const fileName = artifact.Uri.split('/').pop()!;
      const target = path.join(artifactsDir, fileName);
      fs.writeFileSync(target, bytes);
      const mode = permissionMode(artifact.Permission);
      const files = [target];
      if (artifact.Unarchive === 'ZIP') {
        const dest = path.join(unarchivedDir, fileName.replace(/\.zip$/i, ''));
        files.push(...unzipPlain(bytes, dest));
      }
      for (const f of files) {
        fs.chownSync(f, RUN_UID, RUN_GID);
        fs.chmodSync(f, mode);
      }
    }
    // Artifact folders are read-only to the component; its writable place is {work:path}.
    for (const dir of [artifactsDir, unarchivedDir]) makeReadOnly(dir);
    const work = this.workPath(entry.name);
    fs.mkdirSync(work, { recursive: true });
    fs.chownSync(work, RUN_UID, RUN_GID);
  }

  private step(entry: InstalledComponent, name: string): { script: string; timeoutSeconds: number } | undefined {
    const step = entry.manifest.Lifecycle?.[name];
    if (step === undefined) return undefined;
    const raw = typeof step === 'string' ? step : step.Script;
    const timeoutSeconds = typeof step === 'string' ? 120 : step.Timeout ?? 120;
    return { script: this.resolve(entry, raw, name), timeoutSeconds };
  }

  /** Resolves every recipe variable; any left (unknown namespace, missing key, non-dependency) fails, named. */
  private resolve(entry: InstalledComponent, script: string, stepName: string): string {
    const unresolved: string[] = [];
    const deps = Object.keys(entry.recipe.ComponentDependencies ?? {});
    const resolved = script.replace(VARIABLE, (whole, first: string, rest: string) => {
      let owner = entry;
      let namespace = first;
      let key = rest;
      if (!['artifacts', 'configuration', 'work', 'kernel', 'iot'].includes(first)) {
        const m = /^(artifacts|configuration|work):(.*)$/.exec(rest);
        const dep = this.installed.get(first);
        if (!m || !deps.includes(first) || !dep) {
          unresolved.push(whole);
          return whole;
        }
        owner = dep;
        namespace = m[1];
        key = m[2];
      }
      const value = this.variable(owner, namespace, key);
      if (value === undefined) {
        unresolved.push(whole);
        return whole;
      }
      return value;
    });
    if (unresolved.length > 0) {
      throw new Error(`${entry.name}@${entry.version}: unresolvable recipe variable(s) in ${stepName}: ${unresolved.join(', ')}`);
    }
    return resolved;
  }

  private variable(owner: InstalledComponent, namespace: string, key: string): string | undefined {
    if (namespace === 'artifacts' && key === 'path') return this.artifactsPath(owner.name, owner.version);
    if (namespace === 'artifacts' && key === 'decompressedPath') return this.decompressedPath(owner.name, owner.version);
    if (namespace === 'work' && key === 'path') return this.workPath(owner.name);
    if (namespace === 'kernel' && key === 'rootPath') return this.options.root;
    if (namespace === 'iot' && key === 'thingName') return this.options.thingName ?? 'emulated-pi';
    if (namespace === 'configuration' && key.startsWith('/')) {
      let node: unknown = owner.config;
      for (const part of key.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))) {
        if (node === null || typeof node !== 'object' || !(part in (node as object))) return undefined;
        node = (node as { [k: string]: unknown })[part];
      }
      if (node === null || node === undefined) return undefined;
      return typeof node === 'object' ? JSON.stringify(node) : String(node);
    }
    return undefined;
  }

  private spawnStep(entry: InstalledComponent, script: string): ChildProcess {
    const drop = `exec setpriv --reuid=${RUN_UID} --regid=${RUN_GID} --clear-groups -- sh -c "$0"`;
    const inner = this.emulated ? `mount --bind '${this.cpuinfoFile}' /proc/cpuinfo && ${drop}` : drop;
    const env: NodeJS.ProcessEnv = {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: this.workPath(entry.name),
      AWS_IOT_THING_NAME: this.options.thingName ?? 'emulated-pi',
      ...(this.emulated ? { QEMU_CPU: this.options.qemuCpu ?? 'cortex-a72' } : {}),
    };
    const child = spawn('unshare', ['-m', 'sh', '-c', inner, script], {
      cwd: this.workPath(entry.name), env, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const logFile = path.join(this.options.root, 'logs', `${entry.name}.log`);
    const append = (chunk: Buffer): void => {
      this.logs.set(entry.name, (this.logs.get(entry.name) ?? '') + chunk.toString());
      fs.appendFileSync(logFile, chunk);
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    return child;
  }

  private runToEnd(entry: InstalledComponent, script: string, timeoutSeconds: number): Promise<number | null> {
    return new Promise((resolve) => {
      const child = this.spawnStep(entry, script);
      const timer = setTimeout(() => {
        this.logs.set(entry.name, `${this.log(entry.name)}\n[emulated nucleus] step timed out after ${timeoutSeconds} s\n`);
        try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
      }, timeoutSeconds * 1000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }

  private start(entry: InstalledComponent, script: string): void {
    const child = this.spawnStep(entry, script);
    entry.process = child;
    entry.exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  }
}

function topologicalOrder(components: Map<string, PublishedComponent>): PublishedComponent[] {
  const out: PublishedComponent[] = [];
  const seen = new Set<string>();
  const visit = (c: PublishedComponent): void => {
    if (seen.has(c.name)) return;
    seen.add(c.name);
    for (const dep of Object.keys(c.recipe.ComponentDependencies ?? {})) visit(components.get(dep)!);
    out.push(c);
  };
  for (const c of [...components.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) visit(c);
  return out;
}

/** Greengrass artifact `Permission` to a file mode (default: Read OWNER, Execute NONE). */
function permissionMode(permission: { readonly Read?: string; readonly Execute?: string } | undefined): number {
  const read = permission?.Read ?? 'OWNER';
  const exec = permission?.Execute ?? 'NONE';
  let mode = 0;
  if (read === 'OWNER') mode |= 0o400;
  if (read === 'ALL') mode |= 0o444;
  if (exec === 'OWNER') mode |= 0o100;
  if (exec === 'ALL') mode |= 0o111;
  return mode;
}

function walkDirs(dir: string): string[] {
  const out = [dir];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...walkDirs(path.join(dir, e.name)));
  }
  return out;
}

function makeReadOnly(dir: string): void {
  for (const d of walkDirs(dir)) {
    fs.chownSync(d, 0, 0);
    fs.chmodSync(d, 0o555);
  }
}

function makeWritable(dir: string): void {
  for (const d of walkDirs(dir)) fs.chmodSync(d, 0o755);
}

/**
 * Unzips as Java's `ZipFile` does for the nucleus: regular files and folders only, no Unix modes, no symlinks
 * (a symlink entry becomes a plain file holding the link text). Returns the files written.
 */
export function unzipPlain(zip: Buffer, dest: string): string[] {
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65557); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw new Error('not a zip file (no end of central directory)');
  const count = zip.readUInt16LE(eocd + 10);
  let offset = zip.readUInt32LE(eocd + 16);
  const written: string[] = [];
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) throw new Error(`bad central directory entry ${n}`);
    const method = zip.readUInt16LE(offset + 10);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const localOffset = zip.readUInt32LE(offset + 42);
    const name = zip.toString('utf8', offset + 46, offset + 46 + nameLength);
    offset += 46 + nameLength + extraLength + commentLength;
    if (name.startsWith('/') || name.split('/').includes('..')) throw new Error(`unsafe zip entry name ${name}`);
    const target = path.join(dest, ...name.split('/'));
    if (name.endsWith('/')) {
      fs.mkdirSync(target, { recursive: true });
      continue;
    }
    const localNameLength = zip.readUInt16LE(localOffset + 26);
    const localExtraLength = zip.readUInt16LE(localOffset + 28);
    const start = localOffset + 30 + localNameLength + localExtraLength;
    const raw = zip.subarray(start, start + compressedSize);
    const data = method === 0 ? raw : method === 8 ? zlib.inflateRawSync(raw) : undefined;
    if (!data) throw new Error(`zip entry ${name} uses unsupported method ${method}`);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, data);
    written.push(target);
  }
  return written;
}
