// deploy/kubernetes/*.yaml: every object validated against the Kubernetes API schemas
// (kubernetes-models), the pod's shape checked (no subPath, non-root per container, the
// reloader next to the gateway), and the embedded configuration run for real: check-config,
// then `start` against a real Redis with the Secret's files, with the ConfigMap and Secret
// folders updated the way the kubelet does it while the reloader (reload-on-change) runs.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { reloadOnChange, systemReloaderDeps } from '../../src/reloader/reload-on-change.js';
import { hashPassword } from '../../src/session/password.js';
import { createLogger } from '../../src/util/log.js';
import { writeLikeKubelet } from '../helpers/atomic-writer.js';
import { runCli, startCli } from '../helpers/cli-process.js';
import { request } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { startRedis } from '../helpers/redis.js';
import { startUpstream } from '../helpers/upstream.js';

const DIR = new URL('../../deploy/kubernetes/', import.meta.url);
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
};
type K8sObject = { apiVersion: string; kind: string; metadata: { name: string }; [k: string]: unknown };
const objects: { file: string; obj: K8sObject }[] = [];
for (const file of readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f))) {
  for (const doc of parseAllDocuments(readFileSync(new URL(file, DIR), 'utf8'))) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
    objects.push({ file, obj: doc.toJS() as K8sObject });
  }
}

function validate(o: K8sObject): void {
  const Model = MODELS[`${o.apiVersion}/${o.kind}`];
  if (!Model) throw new Error(`no schema model for ${o.apiVersion} ${o.kind}: add it to this test`);
  new Model(o as never).validate();
}

t.test('every object validates against the Kubernetes API schema', async (t) => {
  t.ok(objects.length >= 3);
  for (const { file, obj } of objects) t.doesNotThrow(() => validate(obj), `${file}: ${obj.kind} ${obj.metadata.name}`);
});

t.test('control: the validator refuses a wrong type and a missing required field', async (t) => {
  const dep = objects.find((o) => o.obj.kind === 'Deployment')!.obj;
  const broken = structuredClone(dep) as unknown as {
    spec: { template: { spec: { containers: Record<string, unknown>[] } } };
  };
  broken.spec.template.spec.containers[0]!.ports = [{ containerPort: '8080' }];
  t.throws(() => validate(broken as unknown as K8sObject), /containerPort must be integer/);
  const nameless = structuredClone(dep) as unknown as typeof broken;
  delete nameless.spec.template.spec.containers[0]!.name;
  t.throws(() => validate(nameless as unknown as K8sObject), /must have required property name/);
});

type Container = {
  name: string;
  args?: string[];
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string; subPath?: string }[];
};
const deployment = objects.find((o) => o.obj.kind === 'Deployment')!.obj as unknown as {
  spec: {
    template: {
      spec: { shareProcessNamespace?: boolean; securityContext?: Record<string, unknown>; containers: Container[] };
    };
  };
};
const pod = deployment.spec.template.spec;
const container = (name: string): Container => {
  const c = pod.containers.find((x) => x.name === name);
  if (!c) throw new Error(`no container ${name}`);
  return c;
};
const gatekeeper = container('gatekeeper');
const reloader = container('config-reloader');
const configPath = gatekeeper.args![gatekeeper.args!.indexOf('--config') + 1]!;

t.test('the pod: updates can arrive, the reloader can signal, the app is not constrained', async (t) => {
  for (const c of pod.containers)
    for (const m of c.volumeMounts ?? []) t.notOk(m.subPath, `${c.name}: ${m.mountPath} without subPath`);
  t.equal(pod.shareProcessNamespace, true, 'the reloader sees the gateway process');
  t.notOk(pod.securityContext?.runAsNonRoot, 'runAsNonRoot is not forced on every container of the pod');
  for (const c of [gatekeeper, reloader]) {
    t.equal(c.securityContext?.runAsNonRoot, true, `${c.name} runs as non-root`);
    t.equal(c.securityContext?.runAsUser, 1000, `${c.name} as uid 1000`);
  }
  t.same(
    reloader.args?.slice(0, 3),
    ['reload-on-change', '--config', configPath],
    "the reloader names the gateway's --config",
  );
  const configMount = gatekeeper.volumeMounts!.find((m) => m.name === 'config')!;
  t.equal(`${configMount.mountPath}/gateway.yaml`, configPath, 'the ConfigMap is mounted as the folder of the config');
  t.ok(
    reloader.volumeMounts!.some((m) => m.name === 'config' && m.mountPath === configMount.mountPath),
    'the reloader sees the same folder',
  );
});

// The embedded configuration, run: the Secret's files made here, paths and addresses pointed
// at this test (each replacement must find its text, so a changed manifest breaks the test).
const configMap = objects.find((o) => o.obj.kind === 'ConfigMap')!.obj as unknown as { data: Record<string, string> };
const embedded = configMap.data['gateway.yaml']!;
function point(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`the ConfigMap's gateway.yaml no longer contains ${from}`);
  return text.replaceAll(from, to);
}
t.test('the embedded configuration: check-config, start, updates through the reloader', async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'gk-k8s-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const configDir = join(tmp, 'config');
  const secretDir = join(tmp, 'secret');
  const localConfig = join(configDir, 'gateway.yaml');
  const redis = await startRedis();
  t.teardown(redis.stop);
  const app = await startUpstream();
  t.teardown(app.close);
  const HOST = 'dashboard.example.com';
  const toLocal = (text: string): string => {
    let s = point(text, 'listen: 0.0.0.0:8080', 'listen: 127.0.0.1:0');
    s = point(s, 'listen: 0.0.0.0:9090', 'listen: 127.0.0.1:0');
    s = point(s, 'http://127.0.0.1:3000', app.url);
    return point(s, '/etc/gatekeeper/secret', secretDir);
  };
  const user = async (id: string, username: string, password: string, roles: string): Promise<string> =>
    `- { id: ${id}, username: ${username}, roles: ${roles}, passwordHash: "${await hashPassword(password, { ln: 10 })}" }\n`;
  const alice = await user('u-alice', 'alice', 'alice-password', '[admin]');
  const keys = await runCli(['keys', 'generate']);
  if (keys.code !== 0) throw new Error(keys.out);
  writeLikeKubelet(secretDir, { 'keys.json': keys.out, 'users.yaml': alice });
  writeLikeKubelet(configDir, { 'gateway.yaml': toLocal(embedded) });
  const env = { REDIS_URL: `${redis.url}/0`, LOG_LEVEL: 'info' };

  const checked = await runCli(['check-config', '--config', localConfig], env);
  t.equal(checked.code, 0, `check-config passes: ${checked.out}`);

  const gw = await startCli(['start', '--config', localConfig], env);
  t.teardown(() => gw.terminate());
  const logs: string[] = [];
  const log = createLogger({
    level: 'info',
    destination: new Writable({ write: (c: Buffer, _e, cb) => (logs.push(c.toString('utf8')), cb()) }),
  });
  const watch = reloadOnChange(localConfig, [secretDir], systemReloaderDeps(log), { settleMs: 100 });
  t.teardown(() => watch.close());
  const api = { host: HOST, accept: 'application/json' };

  t.equal((await request(gw.url, '/open/x', { headers: api })).status, 401, 'before: /open needs a login');
  // A new route in the ConfigMap.
  let since = gw.mark();
  const opened = embedded.replace(
    /^( *)- \{ path: \/\*\*, require: authenticated \}$/m,
    '$1- { path: /open/**, allow: anonymous }\n$1- { path: /**, require: authenticated }',
  );
  t.not(opened, embedded, 'the route was added');
  writeLikeKubelet(configDir, { 'gateway.yaml': toLocal(opened) });
  await gw.waitFor(/configuration reloaded/, since);
  t.ok(
    logs.some((l) => l.includes('SIGHUP sent')),
    'the reloader signalled',
  );
  const open = await request(gw.url, '/open/x', { headers: api });
  t.equal(open.status, 200, 'after: /open is anonymous, without a restart');

  // A new user in the Secret.
  const carolLogin = () =>
    login(gw.url, {
      host: HOST,
      slug: 'acme',
      username: 'carol',
      password: 'carol-password',
      headers: { 'x-forwarded-proto': 'https' },
    });
  t.not((await carolLogin()).res.status, 302, 'carol is not a user yet');
  since = gw.mark();
  writeLikeKubelet(secretDir, {
    'keys.json': keys.out,
    'users.yaml': alice + (await user('u-carol', 'carol', 'carol-password', '[]')),
  });
  await gw.waitFor(/configuration reloaded/, since);
  t.equal((await carolLogin()).res.status, 302, 'carol signs in');

  t.equal(logs.filter((l) => l.includes('SIGHUP sent')).length, 2, 'one signal per update');
  t.equal(await gw.terminate(), '0', 'SIGTERM → exit 0');
});
