// The Kubernetes manifests in infra/k8s pass the linter (kubeconform in strict
// mode against the Kubernetes 1.33 schemas from the PyPI package
// kubernetes-validate, plus ctpilot's own rules), and the linter catches
// what it is meant to: unknown fields, wrong types, a misspelt variable.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const lint = (args: string[] = []) =>
  spawnSync(process.execPath, [join(root, 'infra', 'k8s', 'lint.mjs'), ...args], {
    encoding: 'utf8',
    timeout: 300_000,
  });

// The first run builds kubeconform (Go module proxy) and fetches the schemas (PyPI); without them, say so.
const first = lint();
const unavailable = first.status === 2 ? `linter tools unavailable: ${first.stderr.trim()}` : false;

describe('Kubernetes manifests', { skip: unavailable }, () => {
  it('pass kubeconform (strict, Kubernetes 1.33) and ctpilot’s rules', () => {
    assert.equal(first.status, 0, first.stdout + first.stderr);
    assert.match(first.stdout, /11 valid, 0 invalid, 0 errors, 0 skipped; ctpilot rules: 0 problem/);
  });

  it('are refused when a field is unknown or mistyped, or a variable is misspelt', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctpilot-k8s-'));
    try {
      for (const f of ['kustomization.yaml', 'namespace.yaml', 'serviceaccount.yaml', 'training.yaml'])
        copyFileSync(join(root, 'infra', 'k8s', f), join(dir, f));
      const orchestrator = readFileSync(join(root, 'infra', 'k8s', 'orchestrator.yaml'), 'utf8')
        .replace('  replicas: 2\n', '  replica: 2\n')
        .replace('terminationGracePeriodSeconds: 60', 'terminationGracePeriodSeconds: "a minute"');
      writeFileSync(join(dir, 'orchestrator.yaml'), orchestrator);
      const config = readFileSync(join(root, 'infra', 'k8s', 'configmap.yaml'), 'utf8').replace(
        'TEMPORAL_NAMESPACE:',
        'TEMPORAL_NAMESPCE:',
      );
      writeFileSync(join(dir, 'configmap.yaml'), config);
      const r = lint(['--dir', dir]);
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /Deployment ctpilot-orchestrator: invalid — .*replica/);
      assert.match(r.stdout, /terminationGracePeriodSeconds/);
      assert.match(r.stdout, /TEMPORAL_NAMESPCE is not a variable ctpilot reads/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
