// Every activity ctpilot registers, built from the clients the worker wires
// (Temporal samples' factory pattern: tests can wire other clients).
import { createStackCheckActivities, type StackCheckDeps } from './stack-check.ts';

export type ActivityDeps = StackCheckDeps;

export function createActivities(deps: ActivityDeps) {
  return {
    ...createStackCheckActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
