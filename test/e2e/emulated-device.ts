/**
 * An emulated Greengrass core device that follows the classic nucleus's own code (aws-greengrass/aws-greengrass-nucleus;
 * each rule below names the file and function it comes from, see also ../shared/notes/greengrass.md):
 *
 * - Resolution: the target components and, recursively, their dependencies at the exact versions their recipes
 *   require; the first manifest matching the platform wins (PlatformResolver / PlatformHelper.findBestMatch).
 * - Download (ComponentManager.prepareArtifacts): every artifact checked against its digest, laid out as
 *   `packages/artifacts/<component>/<version>/` and `packages/artifacts-unarchived/...`; unzipped without Unix modes
 *   or symlinks (Unarchiver: Java's ZipFile); then Permissions.setArtifactPermission: folders 0755, files the mode of
 *   Permission.toFileSystemPermission (OWNER is the owner user and group, ALL adds others, execute implies read).
 *   The nucleus runs as root, so everything downloaded is owned by root.
 * - Ownership (GenericExternalService.run -> updateComponentPathOwner -> RunWithPathOwnershipHandler.updateOwner):
 *   only when the component's own first lifecycle step runs (and again at each Install: install() resets runWith),
 *   what is inside its artifact folders (not the folders themselves) and its work folder are chowned to the user it
 *   runs as. Until then another component sees root-owned files.
 * - Components run as the non-root `ggc_user` (here uid/gid 65534 with no supplementary groups: setpriv), with
 *   `sh -c` (ShellRunner / UnixRunWithGenerator).
 * - New components start together (DeploymentConfigMerger.AggregateServicesChangeManager.startNewServices calls
 *   requestStart on each). Install does not wait for dependencies (Lifecycle.handleCurrentStateNew); only the move to
 *   STARTING does (Lifecycle.handleCurrentStateInstalledAsync -> GreengrassService.waitForDependencyReady: HARD
 *   dependencies RUNNING or FINISHED). The order between independent lifecycle threads is not defined, so this
 *   device takes the order that exposes a recipe relying on one: dependents' Install first.
 * - An Install that fails is run again (Lifecycle.handleCurrentStateErrored: NEW -> NEW); the third error in a row
 *   within an hour makes the component BROKEN (Lifecycle.reportState: MAXIMUM_CONTINUAL_ERROR = 3), which fails the
 *   deployment (DeploymentConfigMerger.areAllServiceInDesiredState: COMPONENT_BROKEN); this device then puts back
 *   the versions it had, as ROLLBACK does.
 * - Every start of the nucleus runs Install again (every service starts in NEW: Lifecycle.handleCurrentStateNew):
 *   `restart()`.
 * - Every recipe variable is resolved (an unresolvable one fails the deployment, naming it).
 *
 * On an x86-64 host an `aarch64` device runs under qemu user emulation with a Raspberry Pi 4's `/proc/cpuinfo`
 * bind-mounted inside its own mount namespace and `QEMU_CPU=cortex-a72`.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readZip } from '../../constructs/serving-image/private/unzip';
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
  /** Whether the user to run with is computed (and the component's paths chowned) since the last Install. */
  runWithSet?: boolean;
  process?: ChildProcess;
  exited?: Promise<number | null>;
}

/** `ggc_user` / `ggc_group`: not root, in no other group. */
const RUN_UID = 65534;
const RUN_GID = 65534;
/** Lifecycle.MAXIMUM_CONTINUAL_ERROR: the third error in a row in a state makes a component BROKEN. */
const MAXIMUM_CONTINUAL_ERROR = 3;
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
   * Components whose version is unchanged are left alone. The changed ones are stopped, all downloaded, then started
   * together as the nucleus does (see the file's header): every Install (dependents first), each retried until it
   * exits 0 or is BROKEN, then every Run once its dependencies are done. A BROKEN component fails the deployment
   * (the error names it and says `Install exited <code>`), and the device keeps the versions it had.
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

    const changed = topologicalOrder(wanted).filter((c) => this.installed.get(c.name)?.version !== c.version);
    const previous = new Map(changed.map((c) => [c.name, this.installed.get(c.name)]));
    for (const c of [...changed].reverse()) await this.stop(c.name);
    // Every package is prepared before any service changes (DeploymentService: ComponentManager.preparePackages,
    // then the configuration merge and DefaultActivator.activate).
    const entries = changed.map((c) => {
      const manifest = this.selectManifest(c);
      const defaults = (c.recipe.ComponentConfiguration?.DefaultConfiguration ?? {}) as { [key: string]: unknown };
      const config = { ...defaults, ...(previous.get(c.name)?.config ?? {}), ...(merges.get(c.name) ?? {}) };
      const entry: InstalledComponent = { name: c.name, version: c.version, recipe: c.recipe, manifest, config };
      this.download(entry, store);
      return entry;
    });
    for (const e of entries) this.installed.set(e.name, e);
    try {
      const started = await this.startTogether(entries);
      return { installed: entries.map((e) => `${e.name}@${e.version}`), started };
    } catch (err) {
      // The deployment failed: ROLLBACK puts back the versions the device had.
      for (const e of [...entries].reverse()) {
        await this.stop(e.name);
        const before = previous.get(e.name);
        if (before) this.installed.set(e.name, before);
        else this.installed.delete(e.name);
      }
      throw err;
    }
  }

  /**
   * A nucleus start (a reboot, `systemctl restart greengrass`): every component stops, then every one starts from
   * NEW again, so every Install runs again, then every Run.
   */
  public async restart(): Promise<DeploymentResult> {
    await this.stopAll();
    const entries = topologicalOrder(this.installed);
    const started = await this.startTogether(entries);
    return { installed: entries.map((e) => `${e.name}@${e.version}`), started };
  }

  /** Starts components together: each Install (dependents first, the adverse order), then each Run. */
  private async startTogether(entries: readonly InstalledComponent[]): Promise<string[]> {
    for (const e of [...entries].reverse()) await this.install(e);
    // A component leaves INSTALLED only once its HARD dependencies are RUNNING or FINISHED
    // (GreengrassService.waitForDependencyReady): in dependency order.
    const started: string[] = [];
    for (const e of entries) {
      const run = this.step(e, 'Run');
      if (run) {
        this.start(e, run.script);
        started.push(`${e.name}@${e.version}`);
      }
    }
    return started;
  }

  /** GenericExternalService.install, retried by the lifecycle until it succeeds or the component is BROKEN. */
  private async install(entry: InstalledComponent): Promise<void> {
    let code: number | null = null;
    for (let attempt = 1; attempt <= MAXIMUM_CONTINUAL_ERROR; attempt++) {
      entry.runWithSet = false; // install() calls resetRunWith(): the next step computes the user and chowns again
      const install = this.step(entry, 'Install');
      if (!install) return; // RunStatus.NothingDone: no step, no chown
      code = await this.runToEnd(entry, install.script, install.timeoutSeconds);
      if (code === 0) return;
      this.logs.set(entry.name, `${this.log(entry.name)}\n[emulated nucleus] Install exited ${code} (error ${attempt} of ${MAXIMUM_CONTINUAL_ERROR})\n`);
    }
    throw new Error(`${entry.name}@${entry.version}: Install exited ${code} ${MAXIMUM_CONTINUAL_ERROR} times in a row: BROKEN, `
      + `the deployment fails; its log:\n${this.log(entry.name).slice(-4000)}`);
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

  /** ComponentManager.prepareArtifacts: download, check, unarchive, set modes; everything owned by root. */
  private download(entry: InstalledComponent, store: PublishedStack): void {
    const artifactsDir = this.artifactsPath(entry.name, entry.version);
    const unarchivedDir = this.decompressedPath(entry.name, entry.version);
    for (const dir of [artifactsDir, unarchivedDir]) {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir, { recursive: true });
      fs.chmodSync(dir, 0o755); // Permissions.setArtifactPermission: OWNER_RWX_EVERYONE_RX for folders
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
        for (const d of walkDirs(dest)) fs.chmodSync(d, 0o755);
      }
      for (const f of files) {
        fs.chownSync(f, 0, 0);
        fs.chmodSync(f, mode);
      }
    }
    const work = this.workPath(entry.name);
    fs.mkdirSync(work, { recursive: true });
    fs.chmodSync(work, 0o700); // Permissions.setWorkPathPermission: owner only, root until the component's first step
  }

  /**
   * RunWithPathOwnershipHandler.updateOwner, called from GenericExternalService.run when a step of this component
   * runs first (after each Install's resetRunWith): chown what is inside the artifact folders (not the folders) and
   * the work folder to the user the component runs as.
   */
  private updateOwner(entry: InstalledComponent): void {
    for (const dir of [this.artifactsPath(entry.name, entry.version), this.decompressedPath(entry.name, entry.version)]) {
      if (!fs.existsSync(dir)) continue;
      for (const child of fs.readdirSync(dir)) chownTree(path.join(dir, child));
    }
    chownTree(this.workPath(entry.name));
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
    if (!entry.runWithSet) {
      this.updateOwner(entry);
      entry.runWithSet = true;
    }
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

function topologicalOrder<T extends { readonly name: string; readonly recipe: Recipe }>(components: ReadonlyMap<string, T>): T[] {
  const out: T[] = [];
  const seen = new Set<string>();
  const visit = (c: T): void => {
    if (seen.has(c.name)) return;
    seen.add(c.name);
    for (const dep of Object.keys(c.recipe.ComponentDependencies ?? {})) visit(components.get(dep)!);
    out.push(c);
  };
  for (const c of [...components.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) visit(c);
  return out;
}

/**
 * Greengrass artifact `Permission` to a file mode, as Permission.toFileSystemPermission does it: the owner may always
 * read; OWNER means the owner user and group; ALL adds others; execute implies read. Defaults: Read OWNER, Execute
 * NONE (0440). Read ALL is 0444, Execute OWNER 0550, Execute ALL 0555.
 */
export function permissionMode(permission: { readonly Read?: string; readonly Execute?: string } | undefined): number {
  const read = permission?.Read ?? 'OWNER';
  const exec = permission?.Execute ?? 'NONE';
  const execOwner = exec === 'OWNER' || exec === 'ALL';
  let mode = 0o400;
  if (execOwner) mode |= 0o100;
  if (read === 'OWNER' || read === 'ALL' || execOwner) mode |= 0o040;
  if (execOwner) mode |= 0o010;
  if (read === 'ALL' || exec === 'ALL') mode |= 0o004;
  if (exec === 'ALL') mode |= 0o001;
  return mode;
}

function walkDirs(dir: string): string[] {
  const out = [dir];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...walkDirs(path.join(dir, e.name)));
  }
  return out;
}

/** `chown -R ggc_user:ggc_group` (FileSystemPermission with Recurse and SetOwner). */
function chownTree(p: string): void {
  if (!fs.existsSync(p)) return;
  fs.chownSync(p, RUN_UID, RUN_GID);
  if (fs.statSync(p).isDirectory()) {
    for (const child of fs.readdirSync(p)) chownTree(path.join(p, child));
  }
}

/**
 * Unzips as Java's `ZipFile` does for the nucleus: regular files and folders only, no Unix modes, no symlinks
 * (a symlink entry becomes a plain file holding the link text). Returns the files written.
 */
export function unzipPlain(zip: Buffer, dest: string): string[] {
  // the package's own strict reader (constructs/serving-image/private/unzip.ts): stored and deflated entries, no
  // zip64, names that stay inside the folder; folders are made as files need them, as Java's unzip does
  return readZip(zip).map((entry) => {
    const target = path.join(dest, ...entry.name.split('/'));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, entry.data);
    return target;
  });
}
