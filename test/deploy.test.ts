/**
 * deploy/ cannot run here as meant (no cluster, Docker engine or Slurm). So this reads each file as its tool
 * would and checks what the toolkit depends on (the last test shows each check failing on a broken copy), then
 * runs the Job's and the Slurm array's command lines here, once per shard with the engine's variables, and verify.
 */
import { describe, expect, test } from 'bun:test';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { type ParsedArgs, parseArgs } from '../cli/args.ts';
import type { Command } from '../cli/command.ts';
import { sampleCommand } from '../cli/sample.ts';
import { serveCommand } from '../cli/serve.ts';
import { verifyCommand } from '../cli/verify.ts';
import { loadConfig } from '../core/config/load-config.ts';
import type { Override } from '../core/config/overrides.ts';
import { findRunOption } from '../core/config/run-options.ts';
import { UserError } from '../core/errors.ts';
import { tempDirSync } from './support/fixtures.ts';
import { ROOT } from './support/paths.ts';

/** A parsed manifest: untyped YAML. */
type Doc = Record<string, any>;

/** Seconds `ddim serve` takes to exit after shutdown_grace_ms: measured 2.2-2.8 s idle, 2.5-3.2 s cancelling requests (2 cores). */
const DRAIN_OVERHEAD_S = 4;
/** What the runs here add to the manifests' command lines: a small run of the same shape. */
const SMALL_RUN = ['--n_samples', '8', '--skip_steps', '3'];

const read = (name: string): string => readFileSync(join(ROOT, 'deploy', name), 'utf8');
function fail(message: string): never {
  throw new Error(message);
}
const yamlDocs = (text: string): Doc[] => parseAllDocuments(text).map((doc) => (doc.errors[0] ? fail(doc.errors[0].message) : doc.toJS()));
const ofKind = (docs: readonly Doc[], kind: string): Doc => docs.find((d) => d.kind === kind) ?? fail(`no ${kind}`);
const cpus = (quantity: unknown): number => (String(quantity).endsWith('m') ? Number.parseFloat(String(quantity)) / 1000 : Number(quantity));

/** `bun cli.ts <command> ...` parsed by the real parser with the command's real flags; a problem if it is not that. */
function parsedCli(argv: readonly string[], entrypoint: readonly string[], problems: string[]): { command: string; args: ParsedArgs } | undefined {
  if (argv[0] !== entrypoint[0] || argv[1] !== entrypoint[1]) problems.push(`runs ${argv.slice(0, 2).join(' ')}, not the image's ${entrypoint.join(' ')}`);
  const [command = '', ...rest] = argv.slice(2);
  try {
    const real = ({ sample: sampleCommand, serve: serveCommand, verify: verifyCommand } as Record<string, Command>)[command];
    return { command, args: parseArgs(rest, (real ?? fail(`no command "${command}"`)).flags) };
  } catch (error) {
    problems.push(`ddim ${argv.slice(2).join(' ')}: ${(error as Error).message}`);
  }
}

/** A flag's last value: the command's own, else the config key its RUN_OPTIONS entry sets. */
function flag(args: ParsedArgs, name: string): string | undefined {
  const path = findRunOption(name)?.path;
  const value = args.values.get(name)?.at(-1) ?? args.overrides.findLast((o) => path !== undefined && o.path === path)?.value;
  return value === undefined ? undefined : String(value);
}

const envOf = (container: Doc): Record<string, string> => Object.fromEntries((container.env ?? []).map((e: Doc) => [e.name, String(e.value)]));

/** The argv a container runs, `$(VAR)` expanded from its env as the kubelet does. */
function containerArgv(container: Doc, entrypoint: readonly string[]): string[] {
  const env = envOf(container);
  const expand = (word: unknown) => String(word).replace(/\$\(([A-Za-z_]\w*)\)/g, (whole, name: string) => env[name] ?? whole);
  return [...(container.command ?? entrypoint), ...(container.args ?? [])].map(expand);
}

/** The mount holding `path` and the claim or ConfigMap behind it. */
function volumeAt(pod: Doc, container: Doc, path = ''): { mountPath?: string; claim?: string; configMap?: string } {
  const mount = (container.volumeMounts ?? []).find((m: Doc) => path.startsWith(`${m.mountPath}/`));
  const volume = pod.volumes?.find((v: Doc) => v.name === mount?.name);
  return { mountPath: mount?.mountPath, claim: volume?.persistentVolumeClaim?.claimName, configMap: volume?.configMap?.name };
}

/** onnxruntime's threads must match the CPUs the pod asks for. */
function threadProblems(args: ParsedArgs, container: Doc): string[] {
  const [threads, cpu] = [flag(args, 'threads'), container.resources?.requests?.cpu];
  return threads === undefined || Number(threads) === cpus(cpu) ? [] : [`--threads ${threads} but a CPU request of ${cpu}`];
}

/** The Indexed Job, its output claim and the verify Job that follows it. */
function jobProblems(job: Doc, pvc: Doc, verify: Doc, entrypoint: readonly string[]): string[] {
  const problems: string[] = [];
  const { spec } = job;
  const pod = spec.template.spec;
  const container: Doc = pod.containers[0];
  if (spec.completionMode !== 'Indexed') problems.push(`completionMode is ${spec.completionMode}, not Indexed`);
  if (!Number.isInteger(spec.backoffLimitPerIndex)) problems.push('no backoffLimitPerIndex');
  if (pod.restartPolicy !== 'Never') problems.push('backoffLimitPerIndex needs restartPolicy: Never');
  if (!(spec.parallelism >= 1 && spec.parallelism <= spec.completions)) problems.push(`parallelism ${spec.parallelism} is not in 1..completions (${spec.completions})`);
  const env = envOf(container);
  if (Number(env.DDIM_SHARDS) !== spec.completions) problems.push(`DDIM_SHARDS=${env.DDIM_SHARDS} but completions: ${spec.completions}`);
  if ('JOB_COMPLETION_INDEX' in env) problems.push('sets JOB_COMPLETION_INDEX, which the Job controller gives each pod');
  const failIndex = spec.podFailurePolicy?.rules?.find((r: Doc) => r.action === 'FailIndex')?.onExitCodes;
  const userErrorCode = new UserError('').exitCode;
  if (failIndex && (!failIndex.values.includes(userErrorCode) || failIndex.containerName !== container.name)) problems.push(`the FailIndex rule is not exit ${userErrorCode} of ${container.name}`);
  const parsed = parsedCli(containerArgv(container, entrypoint), entrypoint, problems);
  if (!parsed) return problems;
  const { command, args } = parsed;
  if (command !== 'sample') problems.push(`runs ddim ${command}, not ddim sample`);
  if (flag(args, 'shard') !== 'auto') problems.push(`--shard is ${flag(args, 'shard')}, not auto`);
  const shards = flag(args, 'shards');
  if (shards !== undefined && Number(shards) !== spec.completions) problems.push(`--shards ${shards} but completions: ${spec.completions}`);
  problems.push(...threadProblems(args, container));
  const saveDir = flag(args, 'save_dir');
  const out = volumeAt(pod, container, saveDir);
  if (!out.claim) problems.push(`--save_dir ${saveDir} is not on a mounted PersistentVolumeClaim`);
  else if (out.claim !== pvc.metadata.name) problems.push(`the output claim is ${out.claim}, not ${pvc.metadata.name}`);
  if (!pvc.spec.accessModes.includes('ReadWriteMany')) problems.push(`${pvc.metadata.name} is not ReadWriteMany: pods on several nodes write to it`);
  const verifyPod = verify.spec.template.spec;
  const checked = parsedCli(containerArgv(verifyPod.containers[0], entrypoint), entrypoint, problems);
  if (checked?.command !== 'verify' || checked.args.positionals.join(' ') !== saveDir) problems.push(`the verify Job does not run verify ${saveDir}`);
  if (volumeAt(verifyPod, verifyPod.containers[0], saveDir).claim !== out.claim) problems.push(`the verify Job does not mount ${out.claim} at ${out.mountPath}`);
  return problems;
}

/** The port a probe or Service names (a number or a container port's name). */
const portOf = (container: Doc, port: unknown): number | undefined =>
  typeof port === 'number' ? port : container.ports?.find((p: Doc) => p.name === port)?.containerPort;

/** The server: keys `ddim serve` would run with: the ConfigMap as mounted (WORKDIR standing for the repository), the real loader, the flags. */
function serveConfig(docs: readonly Doc[], pod: Doc, args: ParsedArgs, workdir: string, problems: string[]) {
  const dir = tempDirSync('ddim-deploy-');
  try {
    const mounted = volumeAt(pod, pod.containers[0], args.config);
    const configMap = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === mounted.configMap);
    if (args.config && !configMap) throw new Error(`-c ${args.config} is not in a mounted ConfigMap`);
    for (const [file, text] of Object.entries<string>(configMap?.data ?? {})) writeFileSync(join(dir, file), text.replaceAll(`${workdir}/`, `${ROOT}/`));
    const file = args.config ? join(dir, args.config.slice(mounted.mountPath!.length)) : join(ROOT, 'models/ddpm_fashion_mnist.yaml');
    // --port and --host as cli/serve.ts maps them.
    const given = ['port', 'host'].filter((name) => flag(args, name) !== undefined);
    const listen = given.map((name): Override => ({ path: `server.${name}`, value: name === 'port' ? Number(flag(args, name)) : flag(args, name), origin: `--${name}` }));
    return loadConfig(file, { overrides: [...args.overrides, ...listen] }).server;
  } catch (error) {
    problems.push(`the serve config: ${(error as Error).message}`);
  } finally {
    rmSync(dir, { recursive: true });
  }
}

/** The serve Deployment, its ConfigMap and Service. */
function serveProblems(docs: readonly Doc[], entrypoint: readonly string[], workdir: string): string[] {
  const problems: string[] = [];
  const deployment = ofKind(docs, 'Deployment');
  const pod = deployment.spec.template.spec;
  const container: Doc = pod.containers[0];
  const args = parsedCli(containerArgv(container, entrypoint), entrypoint, problems)?.args;
  const server = args && serveConfig(docs, pod, args, workdir, problems);
  if (!args || !server) return problems;
  const port = container.ports?.[0]?.containerPort;
  if (server.host !== '0.0.0.0') problems.push(`listens on ${server.host}: unreachable from outside the pod`);
  if (server.port !== port) problems.push(`listens on port ${server.port} but the containerPort is ${port}`);
  for (const kind of ['readinessProbe', 'livenessProbe']) {
    const probe = container[kind]?.httpGet;
    if (probe?.path !== '/v1/health' || portOf(container, probe.port) !== server.port) problems.push(`${kind} is not GET /v1/health on port ${server.port}`);
  }
  const service = ofKind(docs, 'Service');
  const targets = service.spec.ports.map((p: Doc) => portOf(container, p.targetPort ?? p.port));
  if (!targets.includes(server.port)) problems.push(`the Service targets port ${targets.join(', ')}, not ${server.port}`);
  const labels = deployment.spec.template.metadata.labels;
  if (!Object.entries<string>(service.spec.selector).every(([k, v]) => labels[k] === v)) problems.push("the Service's selector misses the pods");
  const preStop = Number(container.lifecycle?.preStop?.exec?.command?.find((w: string) => /^\d+$/.test(w)) ?? 0);
  const grace = pod.terminationGracePeriodSeconds;
  const drain = `preStop ${preStop} s + shutdown_grace_ms ${server.shutdown_grace_ms} + ${DRAIN_OVERHEAD_S} s`;
  if (!(grace >= preStop + server.shutdown_grace_ms / 1000 + DRAIN_OVERHEAD_S)) problems.push(`terminationGracePeriodSeconds ${grace} < ${drain}`);
  return [...problems, ...threadProblems(args, container)];
}

/** The variables Slurm gives task `k` of `--array=a-b[:s][%p]` (a list like 0,2,5 gives no step: undefined). */
function arrayTask(spec = '', k = 0): Record<string, string> | undefined {
  const match = /^(\d+)-(\d+)(?::(\d+))?(?:%\d+)?$/.exec(spec);
  if (!match) return undefined;
  const [min, max, step] = [Number(match[1]), Number(match[2]), Number(match[3] ?? 1)];
  const count = Math.floor((max - min) / step) + 1;
  return Object.fromEntries(Object.entries({ ID: min + k * step, MIN: min, MAX: max, STEP: step, COUNT: count }).map(([name, value]) => [`SLURM_ARRAY_TASK_${name}`, String(value)]));
}
const directive = (script: string, name: string): string | undefined => new RegExp(`^#SBATCH\\s+--${name}=(\\S+)`, 'm').exec(script)?.[1];

/** What the runs below cannot see: the defaults they override, and what only the comments say. */
function sbatchProblems(arrayText: string, verifyText: string): string[] {
  const problems: string[] = [];
  if (!arrayTask(directive(arrayText, 'array'))) problems.push(`--array=${directive(arrayText, 'array')} is not a range a-b[:s]: --shard auto needs MIN, STEP and COUNT`);
  const out = (text: string) => /^OUT=.*$/m.exec(text)?.[0];
  if (out(arrayText) !== out(verifyText)) problems.push(`the scripts' default OUT differ: ${out(arrayText)} and ${out(verifyText)}`);
  if (!/^exec bun cli\.ts sample --shard auto .*--threads "\$SLURM_CPUS_PER_TASK"/m.test(arrayText)) problems.push('ddim sample is not run with --shard auto and --threads "$SLURM_CPUS_PER_TASK"');
  if (!/--dependency=afterok:.*deploy\/slurm-verify\.sbatch/.test(arrayText)) problems.push('the afterok verify step is not documented');
  return problems;
}

/** Instructions, continuation lines joined, comments dropped. */
const dockerInstructions = (text: string): { op: string; arg: string }[] =>
  text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
    .map((l) => ({ op: l.split(/\s/)[0]!.toUpperCase(), arg: l.slice(l.split(/\s/)[0]!.length).trim() }));
const dockerEntrypoint = (text: string): string[] => JSON.parse(dockerInstructions(text).findLast((i) => i.op === 'ENTRYPOINT')?.arg ?? '[]');
const dockerWorkdir = (text: string): string => dockerInstructions(text).findLast((i) => i.op === 'WORKDIR')?.arg ?? '/';

function dockerProblems(text: string, packageFiles: readonly string[]): string[] {
  const problems: string[] = [];
  const all = dockerInstructions(text);
  const from = all.find((i) => i.op === 'FROM')?.arg ?? '';
  if (!/^oven\/bun:1(\.\d+){0,2}(-debian|-slim)?$/.test(from)) problems.push(`FROM ${from}: not a glibc oven/bun 1.x image`);
  if (dockerEntrypoint(text).join(' ') !== 'bun cli.ts') problems.push(`ENTRYPOINT ${JSON.stringify(dockerEntrypoint(text))} does not run cli.ts`);
  const user = all.findLast((i) => i.op === 'USER')?.arg ?? 'root';
  if (/^(root|0)(:|$)/.test(user)) problems.push(`runs as ${user}`);
  if (!all.some((i) => i.op === 'RUN' && /bun install --frozen-lockfile --production/.test(i.arg))) problems.push('no bun install --frozen-lockfile --production');
  const copied = all.filter((i) => i.op === 'COPY').flatMap((i) => i.arg.split(/\s+/).slice(0, -1).filter((w) => !w.startsWith('--')));
  // lib/ is the JavaScript that prepack compiles for Node and Deno; the image runs the sources under
  // Bun. docs/ and the figures are for readers of the package; nothing reads them at run time.
  const notRun = ['lib/', 'docs/', 'models/ddpm_fashion_mnist_steps.png', 'models/ddpm_fashion_mnist_cond_classes.png'];
  const missing = ['package.json', 'bun.lock', '.npmrc', ...packageFiles.filter((f) => !f.startsWith('!') && !notRun.includes(f))]
    .map((f) => f.replace(/\/$/, '')).filter((f) => !copied.includes(f));
  if (missing.length > 0) problems.push(`package files not copied: ${missing.join(', ')}`);
  return problems;
}

/** Runs `argv` from the repository (the image's WORKDIR, the submit dir) with `env` on top of this process's. */
async function spawnText(argv: readonly string[], env: Record<string, string | undefined> = {}) {
  const child = Bun.spawn([...argv], { cwd: ROOT, env: { ...process.env, ...NO_ENGINE, NO_COLOR: '1', ...env }, stdout: 'pipe', stderr: 'pipe' });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { stdout, stderr, exitCode };
}

/** `shards` runs of `argv` at once (`env(k)` for the k-th), each expected to succeed; then the verify run's exit code and first line. */
async function runSharded(shards: number, argv: readonly string[], env: (k: number) => Record<string, string>, verifyArgv: readonly string[], verifyEnv = {}) {
  const runs = await Promise.all(Array.from({ length: shards }, (_, k) => spawnText(argv, env(k))));
  expect(runs.map((r) => (r.exitCode === 0 ? '' : r.stderr))).toEqual(runs.map(() => ''));
  const verify = await spawnText(verifyArgv, verifyEnv);
  return { exitCode: verify.exitCode, summary: verify.stdout.split('\n')[0] };
}

const DOCKERFILE = read('Dockerfile');
const ENTRYPOINT = dockerEntrypoint(DOCKERFILE);
const PACKAGE_FILES: string[] = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).files;
const jobFiles = () => ({ job: ofKind(yamlDocs(read('k8s-indexed-job.yaml')), 'Job'), pvc: ofKind(yamlDocs(read('k8s-output-pvc.yaml')), 'PersistentVolumeClaim'), verify: ofKind(yamlDocs(read('k8s-verify-job.yaml')), 'Job') });
/** Variables of this process that would steer --shard auto: unset (empty) for the runs here, which set their own. */
const NO_ENGINE = { JOB_COMPLETION_INDEX: '', DDIM_SHARDS: '', SLURM_ARRAY_TASK_ID: '', SLURM_ARRAY_TASK_COUNT: '' };

describe('deploy/', () => {
  test('the Indexed Job runs one shard per index into the shared volume, and verify reads it back', () => {
    const { job, pvc, verify } = jobFiles();
    expect(jobProblems(job, pvc, verify, ENTRYPOINT)).toEqual([]);
  });

  test('the serve Deployment listens where the Service and the probes point, and outlasts its drain', () => {
    expect(serveProblems(yamlDocs(read('k8s-serve.yaml')), ENTRYPOINT, dockerWorkdir(DOCKERFILE))).toEqual([]);
  });

  test('the Slurm array runs one shard per task, and verify depends on it', () => {
    expect(sbatchProblems(read('slurm-array.sbatch'), read('slurm-verify.sbatch'))).toEqual([]);
  });

  test('the image is an official Bun one running cli.ts as a non-root user, with every package file', () => {
    expect(dockerProblems(DOCKERFILE, PACKAGE_FILES)).toEqual([]);
    expect(readFileSync(join(ROOT, '.npmrc'), 'utf8')).toContain('onnxruntime-node-install=skip');
  });

  test("the Job's pods, run here one per index on a small run, then the verify Job's command, pass ddim verify", async () => {
    const { job, verify } = jobFiles();
    const container = job.spec.template.spec.containers[0];
    const { mountPath } = container.volumeMounts[0];
    const dir = tempDirSync('ddim-deploy-job-');
    const onVolume = (argv: string[]) => argv.map((w) => (w.startsWith(`${mountPath}/`) ? dir + w.slice(mountPath.length) : w));
    const argv = onVolume([...containerArgv(container, ENTRYPOINT), ...SMALL_RUN]);
    const env = (k: number) => ({ ...envOf(container), JOB_COMPLETION_INDEX: String(k) });
    const shards = job.spec.completions;
    const result = await runSharded(shards, argv, env, onVolume(containerArgv(verify.spec.template.spec.containers[0], ENTRYPOINT)));
    expect(result).toEqual({ exitCode: 0, summary: expect.stringMatching(new RegExp(`^verify: 8 of 8 items, ${shards} shard records agree`)) });
    rmSync(dir, { recursive: true });
   }, 60_000);

  test('the Slurm array script, run here once per task on a small run, then slurm-verify.sbatch, pass ddim verify', async () => {
    const dir = tempDirSync('ddim-deploy-slurm-');
    const spec = directive(read('slurm-array.sbatch'), 'array');
    const shards = Number(arrayTask(spec)!.SLURM_ARRAY_TASK_COUNT);
    const slurm = { OUT: dir, SLURM_SUBMIT_DIR: ROOT, SLURM_CPUS_PER_TASK: '1' };
    const script = (name: string) => ['bash', join(ROOT, 'deploy', name)];
    const result = await runSharded(shards, [...script('slurm-array.sbatch'), ...SMALL_RUN], (k) => ({ ...slurm, ...arrayTask(spec, k) }), script('slurm-verify.sbatch'), slurm);
    expect(result).toEqual({ exitCode: 0, summary: expect.stringMatching(new RegExp(`^verify: 8 of 8 items, ${shards} shard records agree`)) });
    rmSync(dir, { recursive: true });
   }, 60_000);

  test('every check fails on a broken copy of its file', () => {
    const { job, pvc, verify } = jobFiles();
    const broken = structuredClone(job);
    broken.spec.completions = 3;
    broken.spec.template.spec.containers[0].args.push('--n-sample', '4');
    expect(jobProblems(broken, pvc, verify, ENTRYPOINT).join('\n')).toMatch(/DDIM_SHARDS=4 but completions: 3[\s\S]*unknown flag --n-sample/);
    const serve = read('k8s-serve.yaml');
    expect(serveProblems(yamlDocs(serve.replace('- "8787"', '- "8788"')), ENTRYPOINT, '/app')).toContain('listens on port 8788 but the containerPort is 8787');
    expect(serveProblems(yamlDocs(serve.replace('shutdown_grace_ms: 10000', 'shutdown_grace_ms: 25000')), ENTRYPOINT, '/app')[0]).toStartWith('terminationGracePeriodSeconds 30 <');
    expect(serveProblems(yamlDocs(serve.replace('max_batch:', 'max_batches:')), ENTRYPOINT, '/app')[0]).toContain('max_batches');
    const [sbatch, verifySbatch] = [read('slurm-array.sbatch'), read('slurm-verify.sbatch')];
    expect(sbatchProblems(sbatch.replace('#SBATCH --array=0-3', '#SBATCH --array=0,2,5'), verifySbatch)[0]).toStartWith('--array=0,2,5 is not a range');
    expect(sbatchProblems(sbatch.replace('sample --shard auto', 'sample --shard 0/4'), verifySbatch)[0]).toStartWith('ddim sample is not run with --shard auto');
    expect(sbatchProblems(sbatch, verifySbatch.replace('runs/fashion', 'runs/other'))[0]).toStartWith("the scripts' default OUT differ");
    const docker = DOCKERFILE.replace(/^FROM .*$/m, 'FROM node:22').replace('COPY eval ./eval', '');
    expect(dockerProblems(docker, PACKAGE_FILES)).toEqual(['FROM node:22: not a glibc oven/bun 1.x image', 'package files not copied: eval']);
  });
});
