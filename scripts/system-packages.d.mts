// Types of system-packages.mjs, for the TypeScript unit test that imports it.
export interface Probe {
  isExecutable(file: string): boolean;
  exists(file: string): boolean;
  onPath(command: string): boolean;
}

export interface SystemPackage {
  readonly name: string;
  readonly why: string;
  readonly buildOnly: boolean;
  present(probe: Probe, chromium: string): boolean;
}

export type InstallPlan =
  | { action: 'none' }
  | { action: 'install'; commands: string[][]; env: Record<string, string> }
  | { action: 'stop'; message: string };

export const SYSTEM_PACKAGES: readonly SystemPackage[];
export function missingPackages(probe: Probe, options: { chromium: string; building: boolean }): string[];
export function installPlan(missing: string[], machine: { isRoot: boolean; hasAptGet: boolean }): InstallPlan;
export const machineProbe: Readonly<Probe>;
export function thisMachine(): { isRoot: boolean; hasAptGet: boolean };
