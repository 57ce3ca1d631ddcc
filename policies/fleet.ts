// Fleet templates: one policy for many registered models. A template names
// its models by selector (MLflow tags, or an explicit list); the controller
// lists the registry (an activity), and `instantiate` turns the template
// into one concrete policy per model — its own name (so its own controller
// workflow), its own hash, and the model's tags for {{ model.tags.<tag> }}.

import { canonicalJson, policyHash } from './hash.ts';
import type { FleetInstance, LoadedPolicy } from './loader.ts';
import type { Policy } from './schema/policy.ts';

export interface RegisteredModel {
  readonly name: string;
  readonly tags?: Readonly<Record<string, string>>;
}

export function isFleetTemplate(policy: Policy): boolean {
  return policy.model.selector !== undefined;
}

/** The models a template selects: every `matchTags` tag equal, and in `names` when given. */
export function selectModels(policy: Policy, models: readonly RegisteredModel[]): RegisteredModel[] {
  const sel = policy.model.selector;
  if (!sel) return models.filter((m) => m.name === policy.model.name);
  return models.filter(
    (m) =>
      (sel.names === undefined || sel.names.includes(m.name)) &&
      Object.entries(sel.matchTags ?? {}).every(([k, v]) => m.tags?.[k] === v),
  );
}

/**
 * A policy name for one model of a template: `<template>-<model slug>`,
 * shortened with a hash suffix when the slug is lossy or too long, so two
 * models never share a controller.
 */
export function instanceName(template: string, model: string): string {
  const slug = model
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const plain = `${template}-${slug}`;
  if (slug === model && plain.length <= 63) return plain;
  const suffix = policyHash(model).slice('sha256:'.length, 'sha256:'.length + 8);
  const room = 63 - template.length - 1 - suffix.length - 1;
  const short = slug.slice(0, Math.max(0, room)).replace(/-+$/g, '');
  return short ? `${template}-${short}-${suffix}` : `${template}-${suffix}`.slice(0, 63);
}

/** The concrete policy for one model of a template. */
export function instantiate(template: LoadedPolicy, model: RegisteredModel): LoadedPolicy {
  const spec = template.spec;
  if (!spec.model.selector) throw new Error(`policy ${spec.metadata.name} is not a fleet template`);
  const name = instanceName(spec.metadata.name, model.name);
  const instance: FleetInstance = {
    template: spec.metadata.name,
    templateHash: template.hash,
    model: model.name,
    tags: { ...(model.tags ?? {}) },
  };
  const { selector: _selector, ...modelRest } = spec.model;
  return {
    spec: {
      ...spec,
      metadata: {
        ...spec.metadata,
        name,
        labels: { ...spec.metadata.labels, 'ctpilot.io/template': spec.metadata.name },
      },
      model: { ...modelRest, name: model.name },
    },
    // The instance's version changes when the template or the model's tags change.
    hash: policyHash(canonicalJson({ template: template.hash, model: model.name, tags: instance.tags })),
    file: template.file,
    instance,
  };
}
